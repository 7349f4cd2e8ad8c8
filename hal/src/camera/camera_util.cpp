#include "camera_util.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

namespace edgert::hal {

std::string_view errnoText(int err) {
  const char* text = strerrordesc_np(err);
  return text != nullptr ? text : "unknown error";
}

bool hasExtension(std::string_view path, std::string_view extension) {
  if (path.size() < extension.size()) return false;
  for (std::size_t i = 0; i < extension.size(); ++i) {
    if (static_cast<char>(path[path.size() - extension.size() + i] | 0x20) != extension[i]) {
      return false;
    }
  }
  return true;
}

void sleepUntil(std::chrono::steady_clock::time_point deadline) {
  // steady_clock is CLOCK_MONOTONIC in libstdc++.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      deadline.time_since_epoch())
                      .count();
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

Result<void> checkCameraConfig(const CameraConfig& config) {
  if (config.source.empty()) {
    return makeError(Errc::kInvalidArgument, "camera: empty source");
  }
  if (config.format != PixelFormat::kMjpeg &&
      !validImageSize(config.format, config.width, config.height)) {
    return makeError(Errc::kInvalidArgument, "camera {}: {}x{} is not a valid {} size",
                     config.source, config.width, config.height, pixelFormatName(config.format));
  }
  if (config.width <= 0 || config.height <= 0 || config.width > 16384 || config.height > 16384) {
    return makeError(Errc::kInvalidArgument, "camera {}: size {}x{} outside 1..16384",
                     config.source, config.width, config.height);
  }
  if (config.fps < 0 || config.fps > 1000) {
    return makeError(Errc::kInvalidArgument, "camera {}: fps {} outside 0..1000", config.source,
                     config.fps);
  }
  if (config.reconnectMin.count() <= 0 || config.reconnectMax < config.reconnectMin) {
    return makeError(Errc::kInvalidArgument,
                     "camera {}: reconnect backoff {} ms..{} ms is not a positive range",
                     config.source, config.reconnectMin.count(), config.reconnectMax.count());
  }
  return success();
}

void FramePacer::setRate(double fps) {
  period_ = fps > 0 ? std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / fps))
                    : std::chrono::nanoseconds(0);
  started_ = false;
}

bool FramePacer::waitForNext(std::chrono::steady_clock::time_point deadline) {
  if (period_.count() == 0 || !started_) return true;
  if (next_ > deadline) {
    sleepUntil(deadline);
    return false;
  }
  sleepUntil(next_);
  return true;
}

void FramePacer::advance() {
  const auto now = std::chrono::steady_clock::now();
  if (!started_) {
    next_ = now + period_;
    started_ = true;
    return;
  }
  next_ += period_;
  // A consumer that fell behind by more than a frame does not get a burst to catch up.
  if (next_ < now) next_ = now + period_;
}

}  // namespace edgert::hal
