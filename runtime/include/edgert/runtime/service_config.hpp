// The application config of `edgert run`: which board, camera, model, pre- and
// post-processing, outputs, idle policy and memory budget. Read with the same strict schema
// reader as board files (every error at once, with file:line:column and the key); the
// schema is documented key by key in systemd/README.md.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "edgert/base/result.hpp"
#include "edgert/hal/board.hpp"
#include "edgert/hal/camera.hpp"
#include "edgert/kernels/image.hpp"

namespace edgert::runtime {

enum class PostprocessKind : std::uint8_t { kBlazeFace, kTopK, kOcr, kNone };
enum class IdleAction : std::uint8_t { kNone, kStandby, kExit, kPoweroff };
enum class DetectionSinkKind : std::uint8_t { kStdout, kFile, kUnixDatagram, kNone };

struct ServiceConfig {
  std::string sourceName;  // the config file, for messages
  std::string boardPath;   // empty: the embedded host-sim board; "auto": detected
  std::string boardChoice;  // how the board was chosen, for the start event
  hal::Board board;
  std::string modelPath;  // relative paths in the file are relative to the file's folder
  hal::CameraConfig camera;
  std::string modelInput;  // empty: the model's only input
  kernels::PreprocessSpec preprocess;  // width/height/layout come from the model input

  struct Postprocess {
    PostprocessKind kind = PostprocessKind::kBlazeFace;
    float scoreThreshold = 0.75F;  // "ocr": a line's recognition confidence (default 0.5)
    float iouThreshold = 0.3F;
    int maxDetections = 16;  // "ocr": the most text regions read per frame
    int topK = 5;
    // kind = "ocr": service.model is the text detector (DB: PP-OCR det), whose regions are
    // cropped from the frame, straightened and read by the recogniser (CTC: PP-OCR rec).
    struct Text {
      std::string recognizerPath;      // the recogniser's model image
      std::string dictionaryPath;      // its character dictionary (ppocr_keys_v1.txt)
      std::string dictionarySha256;    // empty: not pinned
      std::string orientationPath;     // empty: no orientation classifier (PP-OCR cls)
      float orientationThreshold = 0.9F;  // a line is turned when "180" is at least this sure
      float mapThreshold = 0.3F;       // DB: a pixel is text above this probability
      float boxThreshold = 0.6F;       // DB: a region's mean probability to keep it
      float unclipRatio = 2.0F;        // DB: how far a region's rectangle grows (see systemd/README.md)
    } text;
  } postprocess;

  struct Output {
    DetectionSinkKind detections = DetectionSinkKind::kStdout;
    std::string detectionsPath;  // kFile, kUnixDatagram
    bool emptyFrames = true;     // a JSON line for frames without detections too
    std::chrono::milliseconds statusInterval{5000};
    std::string prometheusPath;  // empty: no textfile
    // A PNG of the current frame with its detections drawn (SnapshotWriter), on SIGUSR1 and
    // every snapshotInterval (0: only on the signal), into snapshotDir (empty: the service's
    // state directory, $STATE_DIRECTORY under systemd, else the working directory). false:
    // no snapshot memory is set aside and SIGUSR1 says that snapshots are off.
    bool snapshots = true;
    std::chrono::milliseconds snapshotInterval{0};
    std::string snapshotDir;
  } output;

  struct Idle {
    IdleAction action = IdleAction::kNone;
    std::chrono::milliseconds timeout{60000};
    double motionThreshold = 3.0;  // mean |luma change| (0..255) on a 32x24 thumbnail
    double standbyFps = 2.0;       // probe rate while in standby
  } idle;

  struct Memory {
    std::size_t budgetBytes = 0;  // from the board unless the config sets it
    bool lock = false;
  } memory;

  // Over-the-air bundles (runtime/BUNDLE_FORMAT.md): where the slots are and how a new
  // one is tried before it is committed. Only the device's own config sets these; a
  // bundle's config may not.
  struct Update {
    bool present = false;       // the file has an [update] table
    std::string stateDir;       // empty: bundles are not used
    std::string keysDir = "/etc/edgert/keys";
    std::string compatible;     // empty: the board's name
    int warmupInferences = 3;   // K: on the slot's model before the camera starts
    std::uint64_t trialFrames = 30;  // M: frames end to end within the latency limit...
    std::chrono::milliseconds trialTimeout{120000};    // ... within T of the loop's start
    std::chrono::milliseconds trialMaxLatency{2000};   // a frame's capture-to-result limit
  } update;

  // Set by `edgert run` from the update state, never read from a file: the bundle this
  // config came from (version "" for the device's own config) and whether this start is
  // one of its trial runs.
  struct Bundle {
    std::string version;
    char slot = 0;
    bool trial = false;
    int triesLeft = 0;
    std::array<std::string, 2> slotStates{"empty", "empty"};  // slots a and b
  } bundle;

  int threads = 1;
  // Capture and pre-process frame N+1 on a second thread while frame N is inferred.
  bool pipeline = false;
  std::uint64_t frameLimit = 0;  // 0: run until stopped
};

// `text` is TOML; `sourceName` names it in messages; `baseDir` resolves relative paths.
Result<ServiceConfig> parseServiceConfig(std::string_view text, std::string_view sourceName,
                                         const std::string& baseDir);
// `boardFile`: read this board file instead of the one service.board names (a host checking
// a device's config, whose board path is the device's, with a copy of that board file).
Result<ServiceConfig> loadServiceConfig(const std::string& path, const std::string& boardFile = {});

std::string_view idleActionName(IdleAction action);

}  // namespace edgert::runtime
