// Pieces every frame source shares: an error text kept without allocating, sleeping until
// a deadline, the monotonic clock, and the checks of a CameraConfig.
#pragma once

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "edgert/base/result.hpp"
#include "edgert/hal/camera.hpp"
#include "edgert/hal/sensors.hpp"  // monotonicNowNs

namespace edgert::hal {

// The last error of a source, formatted into a fixed buffer (cut at 255 bytes).
class ErrorText {
 public:
  template <typename... Args>
  void set(fmt::format_string<Args...> format, Args&&... args) {
    const auto result =
        fmt::format_to_n(text_.data(), text_.size() - 1, format, std::forward<Args>(args)...);
    size_ = std::min(result.size, text_.size() - 1);
  }
  void clear() { size_ = 0; }
  std::string_view view() const { return {text_.data(), size_}; }

 private:
  std::array<char, 256> text_{};
  std::size_t size_ = 0;
};

// strerror's text without allocating ("No such device").
std::string_view errnoText(int err);

// Sleeps until `deadline` (signals do not shorten it).
void sleepUntil(std::chrono::steady_clock::time_point deadline);

// Whether `path` ends in `extension` (lower-case, with the dot), ignoring ASCII case.
bool hasExtension(std::string_view path, std::string_view extension);

// Which file source a path is for, by its extension (case-insensitive).
bool isImageFilePath(std::string_view path);  // .png .jpg .jpeg
bool isVideoFilePath(std::string_view path);  // .y4m .yuyv .nv12 .grey .gray .rgb

// The checks every source applies to a configuration before it opens anything.
Result<void> checkCameraConfig(const CameraConfig& config);

// The source paces frames at `fps` (0: as fast as they are taken): when the next one is
// due, on the steady clock.
class FramePacer {
 public:
  explicit FramePacer(double fps = 0) { setRate(fps); }
  void setRate(double fps);
  void restart() { started_ = false; }
  // Waits until the next frame is due or `deadline`, whichever is first; true when due.
  bool waitForNext(std::chrono::steady_clock::time_point deadline);
  // Marks that a frame was produced.
  void advance();

 private:
  std::chrono::nanoseconds period_{0};
  std::chrono::steady_clock::time_point next_{};
  bool started_ = false;
};

}  // namespace edgert::hal
