#include "outputs.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "edgert/base/systemd.hpp"
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgert::runtime {

DetectionSink::~DetectionSink() {
  if (ownsFd_ && fd_ >= 0) ::close(fd_);
}

Result<void> DetectionSink::open(DetectionSinkKind kind, const std::string& path, std::FILE* out) {
  kind_ = kind;
  path_ = path;
  switch (kind) {
    case DetectionSinkKind::kNone: return success();
    case DetectionSinkKind::kStdout:
      out_ = out;
      return success();
    case DetectionSinkKind::kFile:
      fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd_ < 0) {
        const int err = errno;
        return Error::fromErrno(err, fmt::format("output.detections file {}", path));
      }
      ownsFd_ = true;
      return success();
    case DetectionSinkKind::kUnixDatagram: {
      sockaddr_un addr{};
      if (path.size() >= sizeof addr.sun_path) {
        return makeError(Errc::kInvalidArgument, "output.detections unix:{}: path too long", path);
      }
      fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd_ < 0) {
        const int err = errno;
        return Error::fromErrno(err, "output.detections: socket");
      }
      ownsFd_ = true;
      addr.sun_family = AF_UNIX;
      std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
      // Not fatal: the reader may start later; until it does, lines are dropped.
      (void)::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
      return success();
    }
  }
  return success();
}

void DetectionSink::write(std::string_view line) {
  switch (kind_) {
    case DetectionSinkKind::kNone: return;
    case DetectionSinkKind::kStdout:
      if (std::fwrite(line.data(), 1, line.size(), out_) != line.size()) ++dropped_;
      std::fflush(out_);
      return;
    case DetectionSinkKind::kFile: {
      const ssize_t n = ::write(fd_, line.data(), line.size());
      if (n != static_cast<ssize_t>(line.size())) ++dropped_;
      return;
    }
    case DetectionSinkKind::kUnixDatagram: {
      // Without the newline: one datagram is one JSON object.
      const std::size_t size = !line.empty() && line.back() == '\n' ? line.size() - 1 : line.size();
      ssize_t n = ::send(fd_, line.data(), size, MSG_NOSIGNAL);
      if (n < 0 && (errno == ENOTCONN || errno == ECONNREFUSED || errno == ENOENT)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
          n = ::send(fd_, line.data(), size, MSG_NOSIGNAL);
        }
      }
      if (n != static_cast<ssize_t>(size)) ++dropped_;
      return;
    }
  }
}

void PrometheusFile::open(const std::string& path) {
  path_ = path;
  tmpPath_ = path + ".tmp";
}

void formatStatusLine(TextBuffer& out, const StatusSnapshot& s) {
  out.clear();
  out.append("{} {:.1f} fps, infer p50 {:.1f} ms p99 {:.1f} ms, {} det, frames {}, drops {}",
             s.idle ? "idle" : s.cameraLostNow ? "camera-lost" : "run", s.fps, s.latencyP50 * 1000.0,
             s.latencyP99 * 1000.0, s.detections, s.frames, s.dropped);
  if (s.readsText) out.append(", {} lines read", s.textLines);
  if (s.snapshots > 0) out.append(", {} snapshots", s.snapshots);
  if (s.cpuLoad >= 0) out.append(", cpu {:.0f}%", s.cpuLoad * 100.0);
  if (s.gpuLoad >= 0) out.append(", gpu {:.0f}%", s.gpuLoad * 100.0);
  if (s.haveWatts) out.append(", {:.2f} W, {:.1f} mJ/inf", s.watts, s.joulesPerInference * 1000.0);
  if (s.sampler != nullptr && s.sample != nullptr) {
    const auto zones = s.sampler->sensors().thermal().zones();
    std::size_t hottest = zones.size();
    for (std::size_t z = 0; z < zones.size(); ++z) {
      if (s.sample->zones[z].state != hal::ReadingState::kOk) continue;
      if (hottest == zones.size() || s.sample->zones[z].milliCelsius > s.sample->zones[hottest].milliCelsius) {
        hottest = z;
      }
    }
    if (hottest < zones.size()) out.append(", {} {:.1f}C", zones[hottest].type, s.sample->zones[hottest].celsius());
  }
  if (!s.bundleVersion.empty()) {
    out.append(", bundle {} (slot {}", s.bundleVersion, std::string_view(&s.bundleSlot, 1));
    if (s.bundleTrial) out.append(", on trial {}/{}", s.trialGoodFrames, s.trialFrames);
    out.append(")");
  }
}

void PrometheusFile::write(const StatusSnapshot& v) {
  TextBuffer& t = text_;
  t.clear();
  const auto metric = [&](const char* name, const char* type, const char* help) {
    t.append("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  metric("edgert_frames_total", "counter", "Frames run through the model.");
  t.append("edgert_frames_total {}\n", v.frames);
  metric("edgert_detections_total", "counter", "Detections reported.");
  t.append("edgert_detections_total {}\n", v.detections);
  if (v.readsText) {
    metric("edgert_text_lines_total", "counter", "Text lines read (postprocess.kind = \"ocr\").");
    t.append("edgert_text_lines_total {}\n", v.textLines);
  }
  metric("edgert_snapshots_total", "counter", "Snapshots written (SIGUSR1, output.snapshot_interval_s).");
  t.append("edgert_snapshots_total {}\n", v.snapshots);
  metric("edgert_frames_per_second", "gauge", "Frames per second over the last status interval.");
  t.append("edgert_frames_per_second {:.3f}\n", v.fps);
  metric("edgert_inference_latency_seconds", "summary", "Inference latency over the last 512 frames.");
  t.append("edgert_inference_latency_seconds{{quantile=\"0.5\"}} {:.6f}\n", v.latencyP50);
  t.append("edgert_inference_latency_seconds{{quantile=\"0.99\"}} {:.6f}\n", v.latencyP99);
  metric("edgert_camera_dropped_frames_total", "counter", "Gaps in the camera's sequence numbers.");
  t.append("edgert_camera_dropped_frames_total {}\n", v.dropped);
  metric("edgert_camera_lost_total", "counter", "Times the camera went away.");
  t.append("edgert_camera_lost_total {}\n", v.cameraLost);
  metric("edgert_idle", "gauge", "1 while the idle policy holds the device idle.");
  t.append("edgert_idle {}\n", v.idle ? 1 : 0);
  metric("edgert_idle_transitions_total", "counter", "Times the device went idle.");
  t.append("edgert_idle_transitions_total {}\n", v.idleTransitions);
  if (v.haveWatts) {
    metric("edgert_board_power_watts", "gauge", "Board power (the board file's total).");
    t.append("edgert_board_power_watts {:.3f}\n", v.watts);
    metric("edgert_energy_per_inference_joules", "gauge", "Board power times p50 inference latency.");
    t.append("edgert_energy_per_inference_joules {:.6f}\n", v.joulesPerInference);
  }
  if (v.cpuLoad >= 0) {
    metric("edgert_cpu_load_ratio", "gauge", "Busy share of all CPUs.");
    t.append("edgert_cpu_load_ratio {:.4f}\n", v.cpuLoad);
  }
  if (v.gpuLoad >= 0) {
    metric("edgert_gpu_load_ratio", "gauge", "GPU load from devfreq.");
    t.append("edgert_gpu_load_ratio {:.4f}\n", v.gpuLoad);
  }
  if (v.sampler != nullptr && v.sample != nullptr) {
    const auto zones = v.sampler->sensors().thermal().zones();
    bool header = false;
    for (std::size_t z = 0; z < zones.size(); ++z) {
      if (v.sample->zones[z].state != hal::ReadingState::kOk) continue;
      if (!header) metric("edgert_temperature_celsius", "gauge", "Thermal zones by type.");
      header = true;
      t.append("edgert_temperature_celsius{{zone=\"{}\"}} {:.3f}\n", zones[z].type,
               v.sample->zones[z].celsius());
    }
  }
  if (!v.slotStates[0].empty()) {
    metric("edgert_update_active_info", "gauge",
           "The bundle the service runs (slot \"\" and version \"\": the device's own config).");
    t.append("edgert_update_active_info{{version=\"{}\",slot=\"{}\",trial=\"{}\"}} 1\n",
             v.bundleVersion, v.bundleSlot == 0 ? std::string_view() : std::string_view(&v.bundleSlot, 1),
             v.bundleTrial ? 1 : 0);
    metric("edgert_update_slot_state", "gauge", "Each slot's state: 1 for the one it is in.");
    constexpr std::array<std::string_view, 4> kStates{"empty", "pending", "ok", "failed"};
    for (std::size_t i = 0; i < 2; ++i) {
      for (std::string_view state : kStates) {
        t.append("edgert_update_slot_state{{slot=\"{}\",state=\"{}\"}} {}\n", i == 0 ? "a" : "b", state,
                 v.slotStates[i] == state ? 1 : 0);
      }
    }
  }
  const int fd = ::open(tmpPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    ++failures_;
    return;
  }
  // Readable by a collector running as another user (node-exporter's textfile collector)
  // whatever the service's umask (the unit's is 0077).
  (void)::fchmod(fd, 0644);
  const std::string_view text = t.view();
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmpPath_.c_str(), path_.c_str()) != 0) ++failures_;
}

Result<void> requestPoweroff() {
  const systemd::Library* sd = systemd::library();
  if (sd == nullptr) return makeError(Errc::kUnsupported, "poweroff: {}", systemd::loadError());
  sd_bus* bus = nullptr;
  int r = sd->busOpenSystem(&bus);
  if (r < 0) return Error::fromErrno(-r, "poweroff: connecting to the system bus");
  sd_bus_error error{};  // SD_BUS_ERROR_NULL is a C compound literal
  r = sd->busCallMethod(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                        "org.freedesktop.login1.Manager", "PowerOff", &error, nullptr, "b", 0);
  Result<void> result = success();
  if (r < 0) {
    result = makeError(Errc::kPermissionDenied, "poweroff: logind PowerOff: {}",
                       error.message != nullptr ? error.message : std::strerror(-r));
  }
  sd->busErrorFree(&error);
  sd->busUnref(bus);
  return result;
}

}  // namespace edgert::runtime
