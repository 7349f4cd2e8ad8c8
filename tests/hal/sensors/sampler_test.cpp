#include "edgert/hal/sampler.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

namespace edgert::hal {
namespace {

using testing::FixtureTree;

Board tinyBoard() {
  Board b = testing::loadBoard("host-sim");
  b.power.sensors.push_back({PowerSensorDriver::kIna3221Hwmon, 1, 0x40, {"VDD_IN"}});
  b.power.total = PowerTotal::kRail;
  b.power.totalRail = "VDD_IN";
  b.thermal.zones = {"cpu-thermal"};
  return b;
}

void writeMilliamps(const FixtureTree& t, int ma) {
  t.write("sys/devices/i2c-1/1-0040/hwmon/hwmon0/curr1_input", std::to_string(ma) + "\n");
}

TEST(Sampler, RingKeepsTheNewestAndStatsCoverTheWindow) {
  FixtureTree t;
  t.hwmon(1, 0x40, 0, {{"VDD_IN", 1000, 0}});
  t.zone(0, "cpu-thermal", "40000");
  t.write("proc/stat", "cpu  1 0 0 9 0 0 0 0 0 0\ncpu0 1 0 0 9 0 0 0 0 0 0\n");
  auto set = SensorSet::open(tinyBoard(), t.options());
  ASSERT_TRUE(set) << set.error().message();
  auto sampler = Sampler::create(std::move(*set), {.interval = std::chrono::milliseconds(10), .capacity = 4});
  ASSERT_TRUE(sampler) << sampler.error().message();
  Sampler& s = **sampler;
  SensorSample latest;
  EXPECT_FALSE(s.latest(latest));
  for (int ma = 1000; ma <= 6000; ma += 1000) {  // 1 W .. 6 W; the ring keeps 3..6 W
    writeMilliamps(t, ma);
    ASSERT_TRUE(s.sampleNow());
  }
  ASSERT_TRUE(s.latest(latest));
  EXPECT_EQ(latest.sequence, 6u);
  EXPECT_EQ(latest.total.milliwatts, 6000);

  const WindowStats all = s.stats(0);
  EXPECT_EQ(all.samples, 4u);
  EXPECT_DOUBLE_EQ(all.totalMilliwatts.min, 3000);
  EXPECT_DOUBLE_EQ(all.totalMilliwatts.max, 6000);
  EXPECT_DOUBLE_EQ(all.totalMilliwatts.avg, 4500);
  EXPECT_DOUBLE_EQ(all.railMilliwatts[0].avg, 4500);
  EXPECT_DOUBLE_EQ(all.zoneCelsius[0].avg, 40.0);
  EXPECT_DOUBLE_EQ(all.cpuLoadPercent.avg, 10.0);
  EXPECT_EQ(all.gpuLoadPercent.count, 0u);  // host-sim: no devfreq GPU
  EXPECT_GT(all.energyMillijoules, 0.0);

  const WindowStats two = s.stats(2);
  EXPECT_EQ(two.samples, 2u);
  EXPECT_DOUBLE_EQ(two.totalMilliwatts.avg, 5500);
}

TEST(Sampler, ThreadSamplesAtItsIntervalAndStops) {
  FixtureTree t;
  t.hwmon(1, 0x40, 0, {{"VDD_IN", 5000, 1000}});
  t.zone(0, "cpu-thermal", "40000");
  t.write("proc/stat", "cpu  1 0 0 9 0 0 0 0 0 0\n");
  auto set = SensorSet::open(tinyBoard(), t.options());
  ASSERT_TRUE(set);
  auto sampler = Sampler::create(std::move(*set), {.interval = std::chrono::milliseconds(5), .capacity = 16});
  ASSERT_TRUE(sampler);
  Sampler& s = **sampler;
  const EnergyMeter::Mark before = s.energyMark();
  ASSERT_TRUE(s.start());
  EXPECT_FALSE(s.start());      // already running
  EXPECT_FALSE(s.sampleNow());  // the thread owns the sensors
  SensorSample sample;
  std::uint64_t seen = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.waitForSample(seen, std::chrono::seconds(10), sample));
    EXPECT_GT(sample.sequence, seen);
    seen = sample.sequence;
  }
  s.stop();
  s.stop();
  EXPECT_FALSE(s.running());
  EXPECT_EQ(sample.total.milliwatts, 5000);
  // Three samples at 5 W span at least two intervals: at least 5 W * 10 ms = 50 mJ.
  const EnergyMeter::Mark after = s.energyMark();
  EXPECT_GE(EnergyMeter::between(before, after), 50.0);
  EXPECT_GE(sample.energyMillijoules, 50.0);
}

TEST(Sampler, RejectsAnEmptyRingOrABadInterval) {
  FixtureTree t;
  auto open = [&] { return SensorSet::open(testing::loadBoard("host-sim"), t.options()).value(); };
  EXPECT_FALSE(Sampler::create(open(), {.interval = std::chrono::milliseconds(10), .capacity = 0}));
  EXPECT_FALSE(Sampler::create(open(), {.interval = std::chrono::milliseconds(0), .capacity = 1}));
}

}  // namespace
}  // namespace edgert::hal
