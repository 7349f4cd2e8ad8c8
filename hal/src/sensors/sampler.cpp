#include "edgert/hal/sampler.hpp"

#include <algorithm>
#include <limits>

namespace edgert::hal {

namespace {

// Accumulates MinAvgMax without storing the values.
struct Accumulator {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;
  std::uint32_t count = 0;

  void add(double v) {
    min = std::min(min, v);
    max = std::max(max, v);
    sum += v;
    ++count;
  }
  MinAvgMax result() const {
    if (count == 0) return {};
    return {min, sum / count, max, count};
  }
};

}  // namespace

Sampler::Sampler(SensorSet sensors, SamplerOptions options)
    : sensors_(std::move(sensors)), options_(options) {}

Sampler::~Sampler() { stop(); }

Result<std::unique_ptr<Sampler>> Sampler::create(SensorSet sensors, SamplerOptions options) {
  if (options.capacity == 0) return makeError(Errc::kInvalidArgument, "sampler: capacity must be at least 1");
  if (options.interval < std::chrono::milliseconds(1) || options.interval > std::chrono::hours(1)) {
    return makeError(Errc::kInvalidArgument, "sampler: interval {} ms, expected 1 ms .. 1 h",
                     options.interval.count());
  }
  std::unique_ptr<Sampler> s(new Sampler(std::move(sensors), options));
  s->ring_.resize(options.capacity);
  return s;
}

Result<void> Sampler::start() {
  if (thread_.joinable()) return makeError(Errc::kBusy, "sampler: already running");
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
  return success();
}

void Sampler::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<std::uint64_t> Sampler::sampleNow() {
  if (thread_.joinable()) return makeError(Errc::kBusy, "sampler: the sampling thread is running");
  return takeSample(monotonicNowNs());
}

void Sampler::loop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next = Clock::now();
  for (;;) {
    takeSample(monotonicNowNs());
    next += options_.interval;
    const Clock::time_point now = Clock::now();
    if (next < now) next = now + options_.interval;  // fell behind: skip, do not burst
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

std::uint64_t Sampler::takeSample(std::int64_t nowNs) {
  sensors_.read(scratch_, nowNs);
  std::uint64_t sequence;
  {
    std::lock_guard lock(mutex_);
    energy_.add(nowNs, scratch_.total);
    sequence = sequence_ + 1;
    scratch_.sequence = sequence;
    scratch_.energyMillijoules = energy_.millijoules();
    ring_[(sequence - 1) % ring_.size()] = scratch_;
    sequence_ = sequence;
  }
  newSample_.notify_all();
  return sequence;
}

bool Sampler::latest(SensorSample& out) const {
  std::lock_guard lock(mutex_);
  if (sequence_ == 0) return false;
  out = ring_[(sequence_ - 1) % ring_.size()];
  return true;
}

bool Sampler::waitForSample(std::uint64_t afterSequence, std::chrono::milliseconds timeout,
                            SensorSample& out) const {
  std::unique_lock lock(mutex_);
  if (!newSample_.wait_for(lock, timeout, [&] { return sequence_ > afterSequence; })) return false;
  out = ring_[(sequence_ - 1) % ring_.size()];
  return true;
}

WindowStats Sampler::stats(std::size_t lastSamples) const {
  WindowStats w;
  std::lock_guard lock(mutex_);
  const std::size_t held = static_cast<std::size_t>(std::min<std::uint64_t>(sequence_, ring_.size()));
  const std::size_t n = lastSamples == 0 ? held : std::min(lastSamples, held);
  if (n == 0) return w;
  const std::size_t rails = sensors_.power().rails().size();
  const std::size_t zones = sensors_.thermal().zones().size();
  Accumulator total, cpu, gpu;
  std::array<Accumulator, kMaxRails> rail{};
  std::array<Accumulator, kMaxZones> zone{};
  const SensorSample* first = nullptr;
  const SensorSample* last = nullptr;
  for (std::uint64_t seq = sequence_ + 1 - n; seq <= sequence_; ++seq) {
    const SensorSample& s = ring_[(seq - 1) % ring_.size()];
    if (first == nullptr) first = &s;
    last = &s;
    if (s.total.state == ReadingState::kOk) total.add(s.total.milliwatts);
    for (std::size_t i = 0; i < rails; ++i) {
      if (s.rails[i].state == ReadingState::kOk) rail[i].add(s.rails[i].milliwatts);
    }
    for (std::size_t i = 0; i < zones; ++i) {
      if (s.zones[i].state == ReadingState::kOk) zone[i].add(s.zones[i].celsius());
    }
    if (s.cpu.loadState == ReadingState::kOk) cpu.add(s.cpu.loadPermille / 10.0);
    if (s.gpu.loadState == ReadingState::kOk) gpu.add(s.gpu.loadPermille / 10.0);
  }
  w.samples = static_cast<std::uint32_t>(n);
  w.seconds = static_cast<double>(last->timeNs - first->timeNs) * 1e-9;
  w.energyMillijoules = last->energyMillijoules - first->energyMillijoules;
  w.totalMilliwatts = total.result();
  for (std::size_t i = 0; i < rails; ++i) w.railMilliwatts[i] = rail[i].result();
  for (std::size_t i = 0; i < zones; ++i) w.zoneCelsius[i] = zone[i].result();
  w.cpuLoadPercent = cpu.result();
  w.gpuLoadPercent = gpu.result();
  return w;
}

EnergyMeter::Mark Sampler::energyMark() const {
  const std::int64_t now = monotonicNowNs();
  std::lock_guard lock(mutex_);
  return energy_.mark(now);
}

}  // namespace edgert::hal
