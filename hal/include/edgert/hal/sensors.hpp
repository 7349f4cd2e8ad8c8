// Power, thermal, CPU and GPU sensors read from sysfs and procfs, the way tegrastats and
// jtop report them, with every board difference taken from the board file.
//
// Discovery happens once, in open(): the INA3221 is found by its I2C bus and address and its
// channels by label, thermal zones by type, the GPU's devfreq node by its device-tree name.
// What was found is kept as open file descriptors; a sample only pread()s numbers from them
// into a fixed-size SensorSample, so reading allocates nothing. A file that is missing,
// offline or failing becomes the state of that one reading (ReadingState), never a failure
// of the sample; what discovery could not find is listed once in problems().
//
// Units: millivolts, milliamps, milliwatts, milli-degrees Celsius, kHz (CPU), Hz (GPU),
// loads in permille (tenths of a percent, as the GPU's `load` file has them).
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/hal/board.hpp"
#include "edgert/hal/inventory.hpp"

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgert::hal {

// Where the sensors are read from, and how.
struct SensorOptions {
  std::string sysfsRoot = "/sys";
  std::string procfsRoot = "/proc";
  // pread(2) by default. Tests inject failures a regular fixture file cannot produce (EAGAIN
  // from a powered-down thermal sensor): the function gets the real descriptor and must
  // behave like pread, returning -1 with errno set on failure.
  using ReadAt = ssize_t (*)(int fd, void* buf, std::size_t count, off_t offset);
  ReadAt readAt = nullptr;
  // How often a GPU devfreq node that was not there is looked for again (nodes may appear
  // late after boot). Zero: on every sample.
  std::chrono::milliseconds gpuReprobeInterval{2000};
};

// sysfs for `sysfsRoot` and the procfs that goes with it: the `proc` directory beside it
// ("/sys" -> "/proc", "fixtures/orin/sys" -> "fixtures/orin/proc").
std::string procfsBesideSysfs(const std::string& sysfsRoot);

enum class ReadingState : std::uint8_t {
  kOk,
  kOffline,  // the sensor exists but is powered down (EAGAIN, -256 C)
  kMissing,  // the sensor or file is not there (not found at open, or ENOENT/ENODEV)
  kError,    // reading failed otherwise; sysErrno says how (EINVAL: not a number)
};
std::string_view readingStateName(ReadingState state);  // "ok", "offline", "missing", "error"

inline constexpr std::size_t kMaxRails = 12;
inline constexpr std::size_t kMaxZones = 32;
inline constexpr std::size_t kMaxCpuCores = 32;
inline constexpr std::size_t kMaxGovernorBytes = 32;

struct RailReading {
  ReadingState state = ReadingState::kMissing;
  int sysErrno = 0;
  std::int32_t millivolts = 0;
  std::int32_t milliamps = 0;
  std::int32_t milliwatts = 0;
};

struct TotalPower {
  ReadingState state = ReadingState::kMissing;  // kOk only when every rail it needs read ok
  std::int32_t milliwatts = 0;
};

struct ZoneReading {
  ReadingState state = ReadingState::kMissing;
  int sysErrno = 0;
  std::int32_t milliCelsius = 0;
  double celsius() const { return static_cast<double>(milliCelsius) / 1000.0; }
};

struct CoreReading {
  ReadingState loadState = ReadingState::kMissing;  // kOffline: no cpuN line in /proc/stat
  std::int16_t loadPermille = 0;
  ReadingState freqState = ReadingState::kMissing;
  int freqErrno = 0;
  std::int32_t freqKhz = 0;  // scaling_cur_freq
};

struct CpuReading {
  // Busy share of all CPUs since the previous sample; since boot on the first sample or when
  // the counters did not move.
  ReadingState loadState = ReadingState::kMissing;
  int sysErrno = 0;
  std::int16_t loadPermille = 0;
  std::array<CoreReading, kMaxCpuCores> cores{};
};

struct GpuReading {
  ReadingState loadState = ReadingState::kMissing;
  int loadErrno = 0;
  std::int16_t loadPermille = 0;  // the `load` file: tenths of a percent
  ReadingState freqState = ReadingState::kMissing;
  int freqErrno = 0;
  std::int64_t curHz = 0;
  std::int64_t minHz = 0;
  std::int64_t maxHz = 0;
  std::array<char, kMaxGovernorBytes> governor{};  // NUL-terminated; empty when unknown
  std::string_view governorName() const;
};

// One complete reading of every sensor. Fixed size: copying it never allocates.
struct SensorSample {
  std::uint64_t sequence = 0;  // 1 for the first sample
  std::int64_t timeNs = 0;     // CLOCK_MONOTONIC
  std::array<RailReading, kMaxRails> rails{};  // as PowerMonitor::rails() lists them
  TotalPower total;
  double energyMillijoules = 0;  // total energy since the first sample (EnergyMeter)
  std::array<ZoneReading, kMaxZones> zones{};  // as ThermalMonitor::zones() lists them
  CpuReading cpu;
  GpuReading gpu;
};

// ---------------------------------------------------------------------------------------
// Power: INA3221 rails, hwmon (JetPack 5/6) or IIO (JetPack 4).

class PowerMonitor {
 public:
  struct Rail {
    std::string label;   // "VDD_IN"
    std::string sensor;  // where it was found ("ina3221 1-0040 channel 1"), or "not found"
  };

  // Finds every [[power.sensors]] entry and its channels. A sensor or rail that is not there
  // is not an error: its rails read kMissing and problems() says what was looked for.
  // Errc::kOutOfRange when the board reports more than kMaxRails rails.
  static Result<PowerMonitor> open(const Board::Power& power, const SensorOptions& options);

  std::span<const Rail> rails() const { return rails_; }
  PowerTotal totalKind() const { return totalKind_; }
  const std::string& totalRail() const { return totalRail_; }
  const std::vector<std::string>& problems() const { return problems_; }

  // Reads every rail into out[0..rails().size()) and computes the total. No allocation.
  void read(std::span<RailReading> out, TotalPower& total);

  PowerMonitor(PowerMonitor&&) noexcept;
  PowerMonitor& operator=(PowerMonitor&&) noexcept;
  ~PowerMonitor();

 private:
  struct Channel;
  PowerMonitor();

  std::vector<Rail> rails_;
  std::vector<Channel> channels_;  // one per rail, same order
  PowerTotal totalKind_ = PowerTotal::kNone;
  std::string totalRail_;
  int totalIndex_ = -1;  // the rail that is the total (PowerTotal::kRail), -1 when absent
  std::vector<std::string> problems_;
};

// Energy from power samples: the trapezoid rule between consecutive good readings. A
// reading that is not kOk breaks the series; the gap is not counted.
class EnergyMeter {
 public:
  struct Mark {
    std::int64_t timeNs = 0;
    double millijoules = 0;
  };

  void add(std::int64_t timeNs, const TotalPower& total);
  double millijoules() const { return millijoules_; }
  // The energy up to `nowNs`: what add() summed, plus the last power held since then.
  Mark mark(std::int64_t nowNs) const;
  // Energy between two marks (one inference: a mark before it, one after).
  static double between(const Mark& from, const Mark& to) { return to.millijoules - from.millijoules; }

 private:
  double millijoules_ = 0;
  std::int64_t lastTimeNs_ = 0;
  std::int32_t lastMilliwatts_ = 0;
  bool haveLast_ = false;
};

// ---------------------------------------------------------------------------------------
// Thermal zones by type.

class ThermalMonitor {
 public:
  struct Zone {
    std::string type;  // "cpu-thermal"
    std::string zone;  // "thermal_zone0", or empty when no zone has this type
  };

  // thermal.zones in order, or every zone not in thermal.ignore (sorted by number).
  static Result<ThermalMonitor> open(const Board::Thermal& thermal, const SensorOptions& options);

  std::span<const Zone> zones() const { return zones_; }
  const std::vector<std::string>& problems() const { return problems_; }
  void read(std::span<ZoneReading> out);

  ThermalMonitor(ThermalMonitor&&) noexcept;
  ThermalMonitor& operator=(ThermalMonitor&&) noexcept;
  ~ThermalMonitor();

 private:
  struct Source;
  ThermalMonitor();

  std::vector<Zone> zones_;
  std::vector<Source> sources_;
  std::vector<std::string> problems_;
};

// ---------------------------------------------------------------------------------------
// CPU load (/proc/stat) and frequency (cpufreq).

class CpuMonitor {
 public:
  // `cores`: the board's core count (per-core readings for the first kMaxCpuCores).
  static Result<CpuMonitor> open(int cores, const SensorOptions& options);

  int cores() const { return cores_; }
  const std::vector<std::string>& problems() const { return problems_; }
  void read(CpuReading& out);

  CpuMonitor(CpuMonitor&&) noexcept;
  CpuMonitor& operator=(CpuMonitor&&) noexcept;
  ~CpuMonitor();

 private:
  struct Files;
  struct Ticks {
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
  };
  CpuMonitor();

  int cores_ = 0;
  std::vector<Files> files_;      // [0]: /proc/stat, then one per core (cpufreq)
  std::vector<char> statBuffer_;  // sized at open for `cores` lines
  std::vector<Ticks> previous_;   // [0]: all CPUs, [1 + n]: cpuN
  std::vector<std::string> problems_;
};

// ---------------------------------------------------------------------------------------
// GPU: devfreq load and frequencies, found by device-tree name; OpenCL availability.

class GpuMonitor {
 public:
  // An empty gpu.devfreqNames: no devfreq GPU, every reading kMissing and no problem.
  static Result<GpuMonitor> open(const Board::Gpu& gpu, const SensorOptions& options);

  // The devfreq node in use ("17000000.gpu"), empty while none matched.
  std::string_view devfreqNode() const;
  const std::vector<std::string>& problems() const { return problems_; }
  // While no node matched, looks again (no allocation) every gpuReprobeInterval.
  void read(GpuReading& out, std::int64_t nowNs);

  GpuMonitor(GpuMonitor&&) noexcept;
  GpuMonitor& operator=(GpuMonitor&&) noexcept;
  ~GpuMonitor();

 private:
  struct State;
  GpuMonitor();
  bool probe();

  std::unique_ptr<State> state_;
  std::vector<std::string> problems_;
};

// Whether the OpenCL backend can run, and why not: from the board's expectation and what
// the ICD loader found (probeOpenCl()). On Jetson (opencl = "none") it is unavailable with
// the board's note, whatever the loader says.
struct OpenClStatus {
  bool available = false;
  std::string detail;  // the device it would use, or why it is unavailable
};
OpenClStatus describeOpenCl(const Board::Gpu& gpu,
                            const Result<std::vector<OpenClPlatform>>& platforms);

// ---------------------------------------------------------------------------------------
// Every sensor of a board.

class SensorSet {
 public:
  static Result<SensorSet> open(const Board& board, const SensorOptions& options);

  // One full sample at `nowNs` (CLOCK_MONOTONIC). Fills everything but sequence and
  // energyMillijoules, which belong to the series (Sampler). No allocation.
  void read(SensorSample& out, std::int64_t nowNs);

  const PowerMonitor& power() const { return power_; }
  const ThermalMonitor& thermal() const { return thermal_; }
  const CpuMonitor& cpu() const { return cpu_; }
  const GpuMonitor& gpu() const { return gpu_; }
  // What discovery did not find, one line each, for the caller to log once.
  std::vector<std::string> problems() const;

 private:
  SensorSet(PowerMonitor power, ThermalMonitor thermal, CpuMonitor cpu, GpuMonitor gpu);

  PowerMonitor power_;
  ThermalMonitor thermal_;
  CpuMonitor cpu_;
  GpuMonitor gpu_;
};

// CLOCK_MONOTONIC in nanoseconds.
std::int64_t monotonicNowNs();

}  // namespace edgert::hal
