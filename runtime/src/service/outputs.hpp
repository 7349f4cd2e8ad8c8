// Where the service's results go, with memory fixed at start: a text buffer filled with
// fmt::format_to_n, the detection sink (stdout, an appended file or a Unix datagram socket;
// one JSON line per frame, one write or send each), the Prometheus textfile (written to a
// temporary file and renamed, so node_exporter never reads half a file) and the logind
// PowerOff request of the idle policy.
#pragma once

#include <fmt/format.h>

#include <algorithm>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/hal/sampler.hpp"
#include "edgert/runtime/service_config.hpp"

namespace edgert::runtime {

class TextBuffer {
 public:
  explicit TextBuffer(std::size_t capacity) : text_(capacity) {}
  void clear() { size_ = 0; truncated_ = false; }
  // Appends; text beyond the capacity is cut (and truncated() says so), never reallocated.
  template <typename... Args>
  void append(fmt::format_string<Args...> format, Args&&... args) {
    const auto r = fmt::format_to_n(text_.data() + size_, text_.size() - size_, format,
                                    std::forward<Args>(args)...);
    if (r.size > text_.size() - size_) truncated_ = true;
    size_ += std::min(r.size, text_.size() - size_);
  }
  // Appends `text` as it is.
  void appendText(std::string_view text) {
    const std::size_t n = std::min(text.size(), text_.size() - size_);
    if (n < text.size()) truncated_ = true;
    text.copy(text_.data() + size_, n);
    size_ += n;
  }
  // Appends `text` as a JSON string literal: quotes, backslashes and control characters
  // escaped, the rest (UTF-8) as it is.
  void appendJsonString(std::string_view text) {
    appendText("\"");
    for (char c : text) {
      if (c == '"' || c == '\\') {
        const char escaped[2] = {'\\', c};
        appendText({escaped, 2});
      } else if (static_cast<unsigned char>(c) < 0x20) {
        append("\\u{:04x}", static_cast<unsigned>(c));
      } else {
        appendText({&c, 1});
      }
    }
    appendText("\"");
  }
  std::string_view view() const { return {text_.data(), size_}; }
  std::size_t capacity() const { return text_.size(); }
  bool truncated() const { return truncated_; }

 private:
  std::vector<char> text_;
  std::size_t size_ = 0;
  bool truncated_ = false;
};

class DetectionSink {
 public:
  DetectionSink() = default;
  ~DetectionSink();
  DetectionSink(const DetectionSink&) = delete;
  DetectionSink& operator=(const DetectionSink&) = delete;

  Result<void> open(DetectionSinkKind kind, const std::string& path, std::FILE* out);
  DetectionSinkKind kind() const { return kind_; }
  // One line; a full socket queue or a reader that went away drops the line (counted).
  void write(std::string_view line);
  std::uint64_t dropped() const { return dropped_; }

 private:
  DetectionSinkKind kind_ = DetectionSinkKind::kNone;
  int fd_ = -1;
  bool ownsFd_ = false;
  std::FILE* out_ = nullptr;
  std::string path_;
  std::uint64_t dropped_ = 0;
};

// What the service reports every status period, taken once: the status line
// (formatStatusLine) and the Prometheus file are written from the same numbers.
struct StatusSnapshot {
  std::uint64_t frames = 0, detections = 0, dropped = 0, cameraLost = 0, idleTransitions = 0;
  bool readsText = false;  // postprocess.kind = "ocr": lines read are reported
  std::uint64_t textLines = 0, snapshots = 0;
  double fps = 0, latencyP50 = 0, latencyP99 = 0;  // seconds
  bool idle = false;
  bool cameraLostNow = false;  // the camera is gone and being re-opened
  double watts = 0, joulesPerInference = 0;
  bool haveWatts = false;
  double cpuLoad = -1, gpuLoad = -1;  // ratios; -1: unknown
  const hal::Sampler* sampler = nullptr;
  const hal::SensorSample* sample = nullptr;
  // Over-the-air slots: the bundle running ("" for the device's own config) and each
  // slot's state ("" when bundles are not used); a bundle on trial: its good frames of M.
  std::string_view bundleVersion;
  char bundleSlot = 0;
  bool bundleTrial = false;
  std::uint64_t trialGoodFrames = 0, trialFrames = 0;
  std::array<std::string_view, 2> slotStates{};
};

// "run 2.9 fps, infer p50 322.0 ms p99 565.5 ms, 0 det, frames 6, drops 0, cpu 100%, ...".
void formatStatusLine(TextBuffer& out, const StatusSnapshot& s);

class PrometheusFile {
 public:
  void open(const std::string& path);
  bool isOpen() const { return !path_.empty(); }
  std::size_t capacity() const { return text_.capacity(); }
  // Writes every metric to PATH.tmp and renames it over PATH. Failures are counted, not fatal.
  void write(const StatusSnapshot& v);

 private:
  std::string path_;
  std::string tmpPath_;
  TextBuffer text_{16 * 1024};
  std::uint64_t failures_ = 0;
};

// Asks logind to power the machine off (org.freedesktop.login1.Manager.PowerOff over the
// system bus). Errors are logged by the caller.
Result<void> requestPoweroff();

}  // namespace edgert::runtime
