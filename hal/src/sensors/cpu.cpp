// CPU load from /proc/stat (the "cpu" and "cpuN" lines: user nice system idle iowait irq
// softirq steal, in clock ticks; guest time is already inside user) and frequency from
// /sys/devices/system/cpu/cpuN/cpufreq/scaling_cur_freq (kHz).
#include "sensor_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace edgert::hal {

struct CpuMonitor::Files {
  sensors::SensorFile file;
};

namespace {

// Bytes per /proc/stat cpu line, generously: 10 counters of up to 20 digits.
constexpr std::size_t kStatLineBytes = 256;

struct LineTicks {
  int index = -1;  // -1: the "cpu" line (all CPUs), else N of "cpuN"
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
};

// Parses one "cpu..." line; false for any other line.
bool parseCpuLine(std::string_view line, LineTicks& out) {
  if (line.size() < 4 || line.substr(0, 3) != "cpu") return false;
  std::size_t pos = 3;
  out.index = -1;
  if (line[pos] != ' ') {
    std::int64_t n = 0;
    const std::size_t space = line.find(' ', pos);
    if (space == std::string_view::npos || !sensors::parseInt(line.substr(pos, space - pos), n)) return false;
    out.index = static_cast<int>(n);
    pos = space;
  }
  std::uint64_t fields[8] = {};
  int count = 0;
  while (count < 8 && pos < line.size()) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const std::size_t end = std::min(line.find(' ', pos), line.size());
    if (end == pos) break;
    std::int64_t v = 0;
    if (!sensors::parseInt(line.substr(pos, end - pos), v) || v < 0) return false;
    fields[count++] = static_cast<std::uint64_t>(v);
    pos = end;
  }
  if (count < 4) return false;
  out.total = 0;
  for (int i = 0; i < count; ++i) out.total += fields[i];
  const std::uint64_t idle = fields[3] + fields[4];  // idle + iowait
  out.busy = out.total - idle;
  return true;
}

std::int16_t permille(std::uint64_t busy, std::uint64_t total) {
  if (total == 0) return 0;
  return static_cast<std::int16_t>(std::min<std::uint64_t>(1000, (busy * 1000 + total / 2) / total));
}

}  // namespace

CpuMonitor::CpuMonitor() = default;
CpuMonitor::CpuMonitor(CpuMonitor&&) noexcept = default;
CpuMonitor& CpuMonitor::operator=(CpuMonitor&&) noexcept = default;
CpuMonitor::~CpuMonitor() = default;

Result<CpuMonitor> CpuMonitor::open(int cores, const SensorOptions& options) {
  if (cores < 1) return makeError(Errc::kInvalidArgument, "cpu: {} cores", cores);
  CpuMonitor m;
  m.cores_ = cores;
  if (static_cast<std::size_t>(cores) > kMaxCpuCores) {
    m.problems_.push_back(fmt::format("cpu: {} cores; per-core readings for the first {}", cores, kMaxCpuCores));
  }
  const int perCore = std::min(cores, static_cast<int>(kMaxCpuCores));
  Files stat{sensors::SensorFile(options.procfsRoot + "/stat", options.readAt)};
  if (!stat.file.isOpen()) {
    m.problems_.push_back(fmt::format("cpu: cannot open {}: {}", stat.file.path(),
                                      std::strerror(stat.file.openErrno())));
  }
  m.files_.push_back(std::move(stat));
  int withFreq = 0;
  for (int n = 0; n < perCore; ++n) {
    Files f{sensors::SensorFile(
        fmt::format("{}/devices/system/cpu/cpu{}/cpufreq/scaling_cur_freq", options.sysfsRoot, n),
        options.readAt)};
    withFreq += f.file.isOpen() ? 1 : 0;
    m.files_.push_back(std::move(f));
  }
  if (withFreq == 0) {
    m.problems_.push_back(fmt::format("cpu: no cpufreq under {}/devices/system/cpu", options.sysfsRoot));
  }
  m.statBuffer_.resize(kStatLineBytes * (static_cast<std::size_t>(cores) + 1));
  m.previous_.resize(static_cast<std::size_t>(perCore) + 1);
  return m;
}

void CpuMonitor::read(CpuReading& out) {
  out = CpuReading{};
  const int perCore = std::min(cores_, static_cast<int>(kMaxCpuCores));
  for (int n = 0; n < perCore; ++n) {
    CoreReading& core = out.cores[static_cast<std::size_t>(n)];
    const sensors::IntRead f = files_[static_cast<std::size_t>(n) + 1].file.readInt();
    core.freqState = f.state;
    core.freqErrno = f.sysErrno;
    if (f.state == ReadingState::kOk) core.freqKhz = static_cast<std::int32_t>(f.value);
    core.loadState = ReadingState::kOffline;  // until its cpuN line is seen
  }

  int err = 0;
  const std::ptrdiff_t size = files_[0].file.readText(statBuffer_, err);
  if (size < 0) {
    out.loadState = sensors::stateForErrno(err);
    out.sysErrno = err;
    for (int n = 0; n < perCore; ++n) out.cores[static_cast<std::size_t>(n)].loadState = out.loadState;
    return;
  }
  const std::string_view text(statBuffer_.data(), static_cast<std::size_t>(size));
  std::size_t pos = 0;
  bool seenCpu = false;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    LineTicks t;
    const bool isCpu = parseCpuLine(text.substr(pos, eol - pos), t);
    pos = eol + 1;
    if (!isCpu) {
      if (seenCpu) break;  // the cpu lines come first; the rest is intr, ctxt, ...
      continue;
    }
    seenCpu = true;
    if (t.index >= perCore) continue;
    Ticks& prev = previous_[static_cast<std::size_t>(t.index + 1)];
    const bool moved = t.total > prev.total;
    const std::int16_t load = moved ? permille(t.busy - std::min(t.busy, prev.busy), t.total - prev.total)
                                    : permille(t.busy, t.total);
    prev = {t.busy, t.total};
    if (t.index < 0) {
      out.loadState = ReadingState::kOk;
      out.loadPermille = load;
    } else {
      CoreReading& core = out.cores[static_cast<std::size_t>(t.index)];
      core.loadState = ReadingState::kOk;
      core.loadPermille = load;
    }
  }
  if (out.loadState != ReadingState::kOk) {
    out.loadState = ReadingState::kError;
    out.sysErrno = EINVAL;
  }
}

}  // namespace edgert::hal
