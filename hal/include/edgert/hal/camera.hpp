// Frame sources: a V4L2 camera, a synthetic test pattern, a still image or a video file,
// all behind one interface. A source creates every buffer in start(); waitFrame() then
// hands out borrowed views of those buffers without allocating, and release() gives them
// back. Sources return what happened (a frame, a timeout, the camera lost, the file ended)
// and keep counters; they do not log (the caller logs once, see ../shared/docs/STYLE.md).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "edgert/base/image.hpp"
#include "edgert/base/result.hpp"
#include "edgert/hal/board.hpp"

namespace edgert::hal {

struct CameraConfig {
  // "synthetic" (see makeSyntheticSource for its motion schedules); a V4L2 device (/dev/videoN, /dev/v4l/by-id/NAME, /dev/v4l/by-path/NAME, or
  // NAME alone, looked up in by-id then by-path); a still image (.png, .jpg, .jpeg); a video
  // file (.y4m, or raw frames of `format` at width x height: .yuyv, .nv12, .grey, .rgb).
  std::string source = "synthetic";
  int width = 640;
  int height = 480;
  // Frames per second: asked of a V4L2 device; the rate of the synthetic pattern, of still
  // images and of raw video files (a Y4M file carries its own rate).
  int fps = 30;
  PixelFormat format = PixelFormat::kYuyv;
  int buffers = 4;
  bool exportDmabuf = false;  // V4L2: export every buffer as a DMABUF (VIDIOC_EXPBUF)
  bool loop = true;           // files: start over at the end instead of ending
  bool realtime = true;       // not V4L2: frames at their rate; false: as fast as taken
  // V4L2: after the camera is lost, re-open attempts start after `reconnectMin` and back
  // off by doubling up to `reconnectMax`.
  std::chrono::milliseconds reconnectMin{100};
  std::chrono::milliseconds reconnectMax{5000};
};

// The camera section of a board file as a CameraConfig.
CameraConfig cameraConfigFromBoard(const Board::Camera& camera);

// What start() settled on (a driver may adjust the size; MJPEG arrives as RGB24).
struct StreamFormat {
  PixelFormat format = PixelFormat::kRgb24;  // of the frames handed out
  PixelFormat captured = PixelFormat::kRgb24;  // what the device or file delivers
  int width = 0;
  int height = 0;
  double fps = 0;  // nominal; 0: as fast as the consumer takes frames
  int buffers = 0;
};

struct Frame {
  ImageView image;
  std::uint64_t sequence = 0;    // the source's frame counter (V4L2: the driver's)
  std::int64_t timestampNs = 0;  // CLOCK_MONOTONIC at capture
  int dmabufFd = -1;             // the buffer as a DMABUF when exported, else -1
  std::uint32_t slot = 0;        // identifies the buffer for release()
};

enum class WaitStatus : std::uint8_t {
  kFrame,    // `frame` is valid until release()
  kTimeout,  // nothing arrived within the timeout
  kLost,     // the device is gone; the source re-opens it with backoff on later calls
  kEnded,    // a file source reached its end (loop = false)
};
std::string_view waitStatusName(WaitStatus status);

struct CameraStats {
  std::uint64_t frames = 0;       // handed out by waitFrame
  std::uint64_t dropped = 0;      // gaps in the sequence numbers
  std::uint64_t errorFrames = 0;  // flagged V4L2_BUF_FLAG_ERROR, counted and skipped
  std::uint64_t lost = 0;         // times the device went away
  std::uint64_t reconnects = 0;   // times it came back
  std::uint64_t reopenFailures = 0;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  FrameSource() = default;
  FrameSource(const FrameSource&) = delete;
  FrameSource& operator=(const FrameSource&) = delete;

  // Opens the device or file, negotiates the format and creates every buffer.
  virtual Result<void> start() = 0;
  // Waits at most `timeout` for the next frame. Never allocates and never busy-waits.
  // Up to StreamFormat::buffers - 1 frames may be borrowed at once.
  virtual WaitStatus waitFrame(std::chrono::milliseconds timeout, Frame& frame) = 0;
  // Gives a frame from waitFrame back. A frame borrowed before the device was lost is
  // simply forgotten.
  virtual void release(const Frame& frame) = 0;
  // Stops streaming and frees the buffers; start() may be called again.
  virtual void stop() = 0;

  virtual const StreamFormat& format() const = 0;
  virtual const CameraStats& stats() const = 0;
  // "/dev/video0 (vivid: vivid)", "synthetic 640x480", "data/clip.y4m".
  virtual std::string_view describe() const = 0;
  // Why the last kLost happened or the last re-open failed; empty when nothing did.
  virtual std::string_view lastError() const = 0;
  // True for a device that may be plugged in after start-up (a V4L2 camera): a start() that
  // fails because it is not there yet (kNotFound, kDisconnected) or not ours yet (udev
  // has not set the new node's group: kPermissionDenied) can succeed later; the service
  // waits for it. Files and synthetic sources are there or not, for good.
  virtual bool pluggable() const { return false; }
};

// Chooses the source from config.source and checks the configuration (it does not open
// anything: start() does).
Result<std::unique_ptr<FrameSource>> makeFrameSource(const CameraConfig& config);

// The concrete sources, for callers that need one kind.
Result<std::unique_ptr<FrameSource>> makeV4l2Camera(const CameraConfig& config);
// The synthetic pattern: colour bars with a bright square that moves one step per frame.
// config.source picks when it moves: "synthetic" always; "synthetic:still" never;
// "synthetic:pulse=M,S" for M frames, then still for S frames, over and over (tests of the
// idle policy).
Result<std::unique_ptr<FrameSource>> makeSyntheticSource(const CameraConfig& config);
Result<std::unique_ptr<FrameSource>> makeImageFileSource(const CameraConfig& config);
Result<std::unique_ptr<FrameSource>> makeVideoFileSource(const CameraConfig& config);

}  // namespace edgert::hal
