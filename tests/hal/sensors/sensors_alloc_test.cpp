// Proves the sensor sampler allocates nothing after start(): this binary replaces the global
// operator new/delete (every form) and, outside sanitizer builds, malloc and friends, and
// counts calls while the sampling thread runs and readers copy samples and statistics out.
#include "edgert/hal/sampler.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

// This file defines the allocation functions themselves, on top of malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> gCounting{false};
std::atomic<long> gAllocations{0};
void noteAllocation() {
  if (gCounting.load(std::memory_order_relaxed)) gAllocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

void* operator new(std::size_t n) {
  noteAllocation();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  noteAllocation();
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
  noteAllocation();
  const std::size_t align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#if !defined(__SANITIZE_ADDRESS__)
// glibc's own entry points, so malloc itself can be counted without recursion.
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void* __libc_memalign(std::size_t, std::size_t);
extern "C" void* malloc(std::size_t n) {
  noteAllocation();
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t n, std::size_t m) {
  noteAllocation();
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, std::size_t n) {
  noteAllocation();
  return __libc_realloc(p, n);
}
extern "C" void* aligned_alloc(std::size_t a, std::size_t n) {
  noteAllocation();
  return __libc_memalign(a, n);
}
#endif

namespace edgert::hal {
namespace {

// Runs `sampler` for `samples` samples with counting on; returns the allocations seen.
long countWhileSampling(Sampler& sampler, int samples) {
  gAllocations = 0;
  gCounting = true;
  SensorSample sample;
  std::uint64_t seen = 0;
  double sink = 0;
  for (int i = 0; i < samples; ++i) {
    if (!sampler.waitForSample(seen, std::chrono::seconds(10), sample)) break;
    seen = sample.sequence;
    const WindowStats w = sampler.stats(0);
    const EnergyMeter::Mark m = sampler.energyMark();
    sink += w.totalMilliwatts.avg + m.millijoules;
    sampler.latest(sample);
  }
  gCounting = false;
  EXPECT_GE(seen, static_cast<std::uint64_t>(samples));
  EXPECT_GE(sink, 0.0);
  return gAllocations.load();
}

TEST(SensorsAllocations, SamplingTheOrinFixtureAllocatesNothingAfterStart) {
  auto set = SensorSet::open(testing::loadBoard("jetson-orin-nano"), testing::committedFixture("jetson-orin-nano"));
  ASSERT_TRUE(set) << set.error().message();
  auto sampler = Sampler::create(std::move(*set), {.interval = std::chrono::milliseconds(1), .capacity = 16});
  ASSERT_TRUE(sampler);
  ASSERT_TRUE((*sampler)->start());
  EXPECT_EQ(countWhileSampling(**sampler, 50), 0);
  (*sampler)->stop();
}

TEST(SensorsAllocations, LookingForALateGpuAllocatesNothing) {
  // Every sample probes /sys/class/devfreq again; a rail, a zone and a file fail as well.
  testing::FixtureTree t;
  t.mkdir("sys/class/devfreq");
  t.zone(0, "cpu-thermal", "hot");
  t.write("proc/stat", "cpu  1 0 0 9 0 0 0 0 0 0\n");
  Board board = testing::loadBoard("jetson-orin-nano");
  SensorOptions options = t.options();
  options.gpuReprobeInterval = std::chrono::milliseconds(0);
  auto set = SensorSet::open(board, options);
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_FALSE(set->problems().empty());
  auto sampler = Sampler::create(std::move(*set), {.interval = std::chrono::milliseconds(1), .capacity = 16});
  ASSERT_TRUE(sampler);
  ASSERT_TRUE((*sampler)->start());
  EXPECT_EQ(countWhileSampling(**sampler, 20), 0);
  // The node appears: found, again without allocating.
  t.devfreq("17000000.gpu", "gpu", 5);
  EXPECT_EQ(countWhileSampling(**sampler, 20), 0);
  (*sampler)->stop();
  EXPECT_EQ((*sampler)->sensors().gpu().devfreqNode(), "17000000.gpu");
}

}  // namespace
}  // namespace edgert::hal
