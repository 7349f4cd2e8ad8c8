// Proves the sensor sampler allocates nothing after start(): this binary counts heap
// allocations (tests/support/alloc_counter.cpp) while the sampling thread runs and readers
// copy samples and statistics out.
#include "edgert/hal/sampler.hpp"

#include "sensor_fixture.hpp"
#include "support/alloc_counter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>


namespace edgert::hal {
namespace {

// Runs `sampler` for `samples` samples with counting on; returns the allocations seen.
long countWhileSampling(Sampler& sampler, int samples) {
  EXPECT_TRUE(test::allocationCounterWorks()) << "allocation counter is not wired";
  test::startCountingAllocations();
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
  const long allocations = test::stopCountingAllocations();
  EXPECT_GE(seen, static_cast<std::uint64_t>(samples));
  EXPECT_GE(sink, 0.0);
  return allocations;
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
