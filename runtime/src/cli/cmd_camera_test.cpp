// `edgert camera-test`: captures from any frame source and reports what it got: the
// negotiated format, the measured frame rate, drops, error frames and reconnects. Losing the
// camera is reported once per loss and capture goes on (the source re-opens it).
#include <cmath>

#include "commands.hpp"
#include "edgert/base/json.hpp"
#include "edgert/hal/board.hpp"
#include "edgert/hal/camera.hpp"

namespace edgert::cli {

namespace {

int exitCodeFor(const Error& error) {
  switch (error.code()) {
    case Errc::kNotFound:
    case Errc::kDisconnected:
    case Errc::kPermissionDenied:
    case Errc::kBusy:
    case Errc::kUnsupported: return kExitUnavailable;
    case Errc::kParse:
    case Errc::kCorrupt: return kExitDataInvalid;
    case Errc::kInvalidArgument:
    case Errc::kSchema:
    case Errc::kOutOfRange: return kExitConfigInvalid;
    default: return kExitFailure;
  }
}

struct Capture {
  long frames = 0;
  std::int64_t firstNs = 0;
  std::int64_t lastNs = 0;
  std::uint64_t lastSequence = 0;
  long outOfOrder = 0;  // sequence or timestamp not increasing (outside a reconnect)
  bool dmabuf = false;
};

}  // namespace

int runCameraTest(Args args, Io io) {
  std::optional<std::string> source, boardPath, width, height, fps, format, buffers, frames,
      timeout, fast, dmabuf, json;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"source", true, &source},
                             {"board", true, &boardPath},
                             {"width", true, &width},
                             {"height", true, &height},
                             {"fps", true, &fps},
                             {"format", true, &format},
                             {"buffers", true, &buffers},
                             {"frames", true, &frames},
                             {"timeout", true, &timeout},
                             {"fast", false, &fast},
                             {"dmabuf", false, &dmabuf},
                             {"json", false, &json}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (!positionals.empty()) {
    print(io.err, "edgert camera-test: unexpected argument '{}'\n", positionals[0]);
    return kExitUsage;
  }
  Result<hal::Board> board = boardPath ? hal::loadBoardFile(*boardPath) : hal::loadDefaultBoard();
  if (!board) {
    print(io.err, "{}\n", board.error().message());
    return kExitConfigInvalid;
  }
  hal::CameraConfig config = hal::cameraConfigFromBoard(board->camera);
  if (source) config.source = *source;
  long value = 0;
  const auto number = [&](const std::optional<std::string>& text, const char* name, long min,
                          long max, int& out) {
    if (!text) return true;
    if (!parseInteger(*text, min, max, value)) {
      print(io.err, "edgert camera-test: --{}: expected a whole number in {}..{}, found '{}'\n",
            name, min, max, *text);
      return false;
    }
    out = static_cast<int>(value);
    return true;
  };
  int frameLimit = 100;
  int timeoutMs = 5000;
  if (!number(width, "width", 16, 16384, config.width) ||
      !number(height, "height", 16, 16384, config.height) ||
      !number(fps, "fps", 1, 1000, config.fps) ||
      !number(buffers, "buffers", 2, 32, config.buffers) ||
      !number(frames, "frames", 0, 1'000'000'000, frameLimit) ||
      !number(timeout, "timeout", 1, 3'600'000, timeoutMs)) {
    return kExitUsage;
  }
  if (format) {
    const std::optional<PixelFormat> parsed = parsePixelFormat(*format);
    if (!parsed) {
      print(io.err,
            "edgert camera-test: --format: expected YUYV, NV12, GREY, RGB24 or MJPEG, found '{}'\n",
            *format);
      return kExitUsage;
    }
    config.format = *parsed;
  }
  config.realtime = !fast;
  config.exportDmabuf = dmabuf.has_value();
  config.loop = false;

  Result<std::unique_ptr<hal::FrameSource>> made = hal::makeFrameSource(config);
  if (!made) {
    print(io.err, "edgert camera-test: {}\n", made.error().message());
    return exitCodeFor(made.error());
  }
  hal::FrameSource& camera = **made;
  if (Result<void> started = camera.start(); !started) {
    print(io.err, "edgert camera-test: {}\n", started.error().message());
    return exitCodeFor(started.error());
  }
  const hal::StreamFormat& fmt = camera.format();
  if (!json) {
    print(io.out, "source: {}\nformat: {}x{} {}{} at {:g} fps nominal, {} buffers\n",
          camera.describe(), fmt.width, fmt.height, pixelFormatName(fmt.format),
          fmt.captured != fmt.format
              ? fmt::format(" (captured as {}, decoded by libv4lconvert)", pixelFormatName(fmt.captured))
              : std::string(),
          fmt.fps, fmt.buffers);
    std::fflush(io.out);
  }

  StopSignals signals;
  Capture cap;
  bool lost = false;
  bool justReconnected = false;
  auto lastProgress = std::chrono::steady_clock::now();
  int status = kExitOk;
  while ((frameLimit == 0 || cap.frames < frameLimit) && !stopRequested()) {
    hal::Frame frame;
    const hal::WaitStatus got = camera.waitFrame(std::chrono::milliseconds(200), frame);
    const auto now = std::chrono::steady_clock::now();
    if (got == hal::WaitStatus::kEnded) break;
    if (got == hal::WaitStatus::kLost) {
      if (!lost) print(io.err, "edgert camera-test: camera lost: {}\n", camera.lastError());
      lost = true;
    }
    if (got != hal::WaitStatus::kFrame) {
      if (now - lastProgress > std::chrono::milliseconds(timeoutMs)) {
        print(io.err, "edgert camera-test: no frame for {} ms ({}){}{}\n", timeoutMs,
              hal::waitStatusName(got), camera.lastError().empty() ? "" : ": ",
              camera.lastError());
        status = kExitFailure;
        break;
      }
      continue;
    }
    if (lost) {
      print(io.err, "edgert camera-test: camera back after {} re-open attempts\n",
            camera.stats().reopenFailures + 1);
      lost = false;
      justReconnected = true;
    }
    lastProgress = now;
    if (cap.frames == 0) cap.firstNs = frame.timestampNs;
    if (cap.frames > 0 && !justReconnected &&
        (frame.sequence <= cap.lastSequence || frame.timestampNs <= cap.lastNs)) {
      ++cap.outOfOrder;
    }
    justReconnected = false;
    cap.lastSequence = frame.sequence;
    cap.lastNs = frame.timestampNs;
    cap.dmabuf = cap.dmabuf || frame.dmabufFd >= 0;
    ++cap.frames;
    camera.release(frame);
  }
  const hal::CameraStats& st = camera.stats();
  camera.stop();
  const double seconds = static_cast<double>(cap.lastNs - cap.firstNs) / 1e9;
  const double measuredFps = cap.frames > 1 && seconds > 0 ? (cap.frames - 1) / seconds : 0.0;
  if (json) {
    print(io.out,
          "{{\"source\":{},\"width\":{},\"height\":{},\"format\":\"{}\",\"captured\":\"{}\","
          "\"fps\":{:.2f},\"frames\":{},\"dropped\":{},\"error_frames\":{},\"lost\":{},"
          "\"reconnects\":{},\"out_of_order\":{},\"dmabuf\":{}}}\n",
          jsonString(config.source), fmt.width, fmt.height, pixelFormatName(fmt.format),
          pixelFormatName(fmt.captured), measuredFps, cap.frames, st.dropped, st.errorFrames,
          st.lost, st.reconnects, cap.outOfOrder, cap.dmabuf);
  } else {
    print(io.out,
          "frames: {} in {:.2f} s = {:.1f} fps; dropped {}; error frames {}; lost {}, "
          "reconnected {}; out of order {}{}\n",
          cap.frames, seconds, measuredFps, st.dropped, st.errorFrames, st.lost, st.reconnects,
          cap.outOfOrder, cap.dmabuf ? "; buffers exported as DMABUF" : "");
  }
  if (status == kExitOk && cap.outOfOrder > 0) status = kExitFailure;
  return status;
}

}  // namespace edgert::cli
