// The GPU's devfreq node, found by scanning /sys/class/devfreq/* and matching
// device/of_node/name against the board's devfreq_names, never by a hard-coded path:
//   <node>/cur_freq, min_freq, max_freq (Hz), governor
//   <node>/device/load (tenths of a percent), or the board's gpu.load_file
// Nodes may appear late after boot, so a GPU not found is looked for again; that probe runs
// on the sampling thread and allocates nothing (getdents64, fixed path buffers).
#include "sensor_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace edgert::hal {

struct GpuMonitor::State {
  std::vector<std::string> names;
  std::string devfreqDir;  // <sysfs>/class/devfreq
  std::string loadFile;    // <sysfs>/<gpu.load_file>, or empty
  SensorOptions::ReadAt readAt = nullptr;
  std::int64_t reprobeNs = 0;
  std::int64_t lastProbeNs = 0;
  bool found = false;
  std::array<char, 128> node{};
  std::size_t nodeSize = 0;
  sensors::SensorFile load;
  sensors::SensorFile curFreq;
  sensors::SensorFile minFreq;
  sensors::SensorFile maxFreq;
  sensors::SensorFile governor;
};

GpuMonitor::GpuMonitor() = default;
GpuMonitor::GpuMonitor(GpuMonitor&&) noexcept = default;
GpuMonitor& GpuMonitor::operator=(GpuMonitor&&) noexcept = default;
GpuMonitor::~GpuMonitor() = default;

std::string_view GpuReading::governorName() const {
  return {governor.data(), strnlen(governor.data(), governor.size())};
}

std::string_view GpuMonitor::devfreqNode() const {
  return state_->found ? std::string_view(state_->node.data(), state_->nodeSize) : std::string_view();
}

Result<GpuMonitor> GpuMonitor::open(const Board::Gpu& gpu, const SensorOptions& options) {
  GpuMonitor m;
  m.state_ = std::make_unique<State>();
  State& s = *m.state_;
  s.names = gpu.devfreqNames;
  s.devfreqDir = options.sysfsRoot + "/class/devfreq";
  if (!gpu.loadFile.empty()) s.loadFile = options.sysfsRoot + "/" + gpu.loadFile;
  s.readAt = options.readAt;
  s.reprobeNs = std::chrono::duration_cast<std::chrono::nanoseconds>(options.gpuReprobeInterval).count();
  if (s.names.empty()) return m;
  if (!m.probe()) {
    std::string names;
    for (const std::string& n : s.names) names += (names.empty() ? "" : ", ") + n;
    m.problems_.push_back(fmt::format(
        "gpu: no devfreq node in {} has device/of_node/name {}; looking again every {} ms",
        s.devfreqDir, names, options.gpuReprobeInterval.count()));
  } else if (!s.load.isOpen()) {
    m.problems_.push_back(fmt::format("gpu: cannot open {}: {}", s.load.path(), std::strerror(s.load.openErrno())));
  }
  s.lastProbeNs = monotonicNowNs();
  return m;
}

bool GpuMonitor::probe() {
  State& s = *state_;
  bool matched = false;
  sensors::forEachEntry(s.devfreqDir.c_str(), [&](std::string_view entry) {
    sensors::PathBuffer path;
    path.append(s.devfreqDir).append("/").append(entry).append("/device/of_node/name");
    if (!path.ok()) return false;
    std::array<char, 64> buf;
    const std::string_view name = sensors::readSmallFile(path.c_str(), buf, s.readAt);
    if (name.empty()) return false;
    const bool wanted = std::any_of(s.names.begin(), s.names.end(),
                                    [&](const std::string& n) { return n == name; });
    if (!wanted || entry.size() >= s.node.size()) return false;
    std::memcpy(s.node.data(), entry.data(), entry.size());
    s.nodeSize = entry.size();
    s.node[s.nodeSize] = '\0';
    sensors::PathBuffer dir;
    dir.append(s.devfreqDir).append("/").append(entry).append("/");
    const std::size_t base = dir.size();
    auto openFile = [&](std::string_view file) {
      dir.truncate(base);
      dir.append(file);
      return sensors::SensorFile(dir.ok() ? dir.view() : std::string_view(), s.readAt);
    };
    s.curFreq = openFile("cur_freq");
    s.minFreq = openFile("min_freq");
    s.maxFreq = openFile("max_freq");
    s.governor = openFile("governor");
    s.load = s.loadFile.empty() ? openFile("device/load") : sensors::SensorFile(s.loadFile, s.readAt);
    matched = true;
    return true;
  });
  s.found = matched;
  return matched;
}

void GpuMonitor::read(GpuReading& out, std::int64_t nowNs) {
  out = GpuReading{};
  State& s = *state_;
  if (s.names.empty()) return;
  if (!s.found && nowNs - s.lastProbeNs >= s.reprobeNs) {
    s.lastProbeNs = nowNs;
    probe();
  }
  if (!s.found) return;

  const sensors::IntRead load = s.load.readInt();
  out.loadState = load.state;
  out.loadErrno = load.sysErrno;
  if (load.state == ReadingState::kOk) {
    out.loadPermille = static_cast<std::int16_t>(std::clamp<std::int64_t>(load.value, 0, 1000));
  }
  const sensors::IntRead cur = s.curFreq.readInt();
  const sensors::IntRead min = s.minFreq.readInt();
  const sensors::IntRead max = s.maxFreq.readInt();
  out.freqState = ReadingState::kOk;
  for (const sensors::IntRead* f : {&cur, &min, &max}) {
    if (f->state != ReadingState::kOk) {
      out.freqState = f->state;
      out.freqErrno = f->sysErrno;
      break;
    }
  }
  if (out.freqState == ReadingState::kOk) {
    out.curHz = cur.value;
    out.minHz = min.value;
    out.maxHz = max.value;
  }
  int err = 0;
  const std::ptrdiff_t n = s.governor.readText({out.governor.data(), out.governor.size() - 1}, err);
  if (n >= 0) out.governor[static_cast<std::size_t>(n)] = '\0';
}

}  // namespace edgert::hal
