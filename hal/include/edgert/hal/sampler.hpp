// The sensor sampler: a thread that reads a SensorSet at a fixed rate into a fixed-size ring
// of SensorSamples, integrates the board's energy, and answers windowed average/min/max.
//
// Everything is allocated by create() and start(); after start() neither the sampling thread
// nor the readers (latest, waitForSample, stats, energyMark) allocate. Readers may run on
// any thread; they copy out under a mutex the sampling thread holds only to store a sample.
//
//   auto sampler = Sampler::create(std::move(sensors), {.interval = 100ms});
//   (*sampler)->start();
//   EnergyMeter::Mark before = (*sampler)->energyMark();
//   engine.invoke();
//   double mj = EnergyMeter::between(before, (*sampler)->energyMark());
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/hal/sensors.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace edgert::hal {

struct SamplerOptions {
  std::chrono::milliseconds interval{100};  // 1 ms .. 1 h
  std::size_t capacity = 600;               // samples kept; the largest window
};

struct MinAvgMax {
  double min = 0;
  double avg = 0;
  double max = 0;
  std::uint32_t count = 0;  // readings that were ok; min/avg/max are 0 when none
};

// Statistics over the last samples (only readings whose state was ok).
struct WindowStats {
  std::uint32_t samples = 0;
  double seconds = 0;            // from the first to the last sample of the window
  double energyMillijoules = 0;  // the energy integrated over the window
  MinAvgMax totalMilliwatts;
  std::array<MinAvgMax, kMaxRails> railMilliwatts{};
  std::array<MinAvgMax, kMaxZones> zoneCelsius{};
  MinAvgMax cpuLoadPercent;
  MinAvgMax gpuLoadPercent;
};

class Sampler {
 public:
  // Takes the sensors and allocates the ring. Errc::kInvalidArgument for a capacity of 0 or
  // an interval out of range.
  static Result<std::unique_ptr<Sampler>> create(SensorSet sensors, SamplerOptions options);
  ~Sampler();  // stops the thread
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Starts the sampling thread; the first sample is taken at once. kBusy when running.
  Result<void> start();
  // Stops and joins the thread; samples stay readable. Safe to call twice.
  void stop();
  bool running() const { return thread_.joinable(); }

  // Takes one sample on the caller's thread (tests; tools that sample by hand). Only while
  // the thread is not running (kBusy otherwise). Returns the sample's sequence number.
  Result<std::uint64_t> sampleNow();

  // The newest sample; false before the first.
  bool latest(SensorSample& out) const;
  // Waits until a sample newer than `afterSequence` exists (copied to `out`: the newest) or
  // the timeout passes (false).
  bool waitForSample(std::uint64_t afterSequence, std::chrono::milliseconds timeout,
                     SensorSample& out) const;
  // Over the newest `lastSamples` samples (at most capacity; 0 or more than held: all held).
  WindowStats stats(std::size_t lastSamples) const;
  // Total energy up to now, for EnergyMeter::between() around one inference.
  EnergyMeter::Mark energyMark() const;

  const SensorSet& sensors() const { return sensors_; }
  std::size_t capacity() const { return ring_.size(); }

 private:
  Sampler(SensorSet sensors, SamplerOptions options);
  void loop();
  // Reads all sensors into scratch_ at `nowNs` and stores it. Sampling thread (or
  // sampleNow()) only.
  std::uint64_t takeSample(std::int64_t nowNs);

  SensorSet sensors_;
  SamplerOptions options_;
  std::vector<SensorSample> ring_;  // sized once, in create()
  SensorSample scratch_;            // filled outside the lock
  EnergyMeter energy_;              // guarded by mutex_

  mutable std::mutex mutex_;
  mutable std::condition_variable newSample_;
  std::condition_variable wake_;  // stop() wakes the thread from its sleep
  bool stopping_ = false;
  std::uint64_t sequence_ = 0;  // of the newest sample; 0: none yet
  std::thread thread_;
};

// Reports of one sample, for people and for tools (sensor_report.cpp).
//
// A tegrastats-like line: per-core CPU load@MHz, GPU load@MHz, zones (type without
// "-thermal"/"-therm") in degrees, rails as current/window-average mW, then the energy:
//   CPU [12%@1510,off] GR3D_FREQ 0%@306 cpu@50.1C cv0@offline VDD_IN 6626mW/6625mW energy 12.3mJ
std::string formatSampleLine(const SensorSet& sensors, const SensorSample& sample,
                             const WindowStats& window);
// One JSON object on one line (no trailing newline), states spelled as readingStateName().
// `startNs`: the time "t_ms" counts from; `openCl`: included under gpu when given.
std::string formatSampleJson(const SensorSet& sensors, const SensorSample& sample,
                             const WindowStats& window, std::int64_t startNs,
                             const OpenClStatus* openCl);

}  // namespace edgert::hal
