#include "edgert/hal/sensors.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

namespace edgert::hal {
namespace {

using testing::FixtureTree;

TEST(SensorCpu, LoadFromStatDeltasAndFrequencyFromCpufreq) {
  FixtureTree t;
  // user nice system idle iowait irq softirq steal guest guest_nice
  t.write("proc/stat",
          "cpu  200 0 0 700 100 0 0 0 0 0\n"
          "cpu0 100 0 0 350 50 0 0 0 0 0\n"
          "cpu1 100 0 0 350 50 0 0 0 0 0\n"
          "intr 1 2 3\n");
  t.write("sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1510400\n");
  auto m = CpuMonitor::open(3, t.options());
  ASSERT_TRUE(m) << m.error().message();
  CpuReading r;
  m->read(r);
  // First sample: since boot.
  EXPECT_EQ(r.loadState, ReadingState::kOk);
  EXPECT_EQ(r.loadPermille, 200);
  EXPECT_EQ(r.cores[0].freqState, ReadingState::kOk);
  EXPECT_EQ(r.cores[0].freqKhz, 1510400);
  EXPECT_EQ(r.cores[1].freqState, ReadingState::kMissing);  // no cpufreq (qemu, containers)
  EXPECT_EQ(r.cores[2].loadState, ReadingState::kOffline);  // no cpu2 line

  t.write("proc/stat",
          "cpu  350 0 0 750 100 0 0 0 0 0\n"
          "cpu0 250 0 0 350 50 0 0 0 0 0\n"
          "cpu1 100 0 0 400 50 0 0 0 0 0\n");
  m->read(r);
  EXPECT_EQ(r.loadPermille, 750);           // 150 busy of 200 ticks
  EXPECT_EQ(r.cores[0].loadPermille, 1000);
  EXPECT_EQ(r.cores[1].loadPermille, 0);
}

TEST(SensorCpu, MissingProcStatIsAProblemAndAState) {
  FixtureTree t;
  t.mkdir("proc");
  auto m = CpuMonitor::open(1, t.options());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->problems().empty());
  CpuReading r;
  m->read(r);
  EXPECT_EQ(r.loadState, ReadingState::kMissing);
}

TEST(SensorCpu, ProcfsBesideSysfs) {
  EXPECT_EQ(procfsBesideSysfs("/sys"), "/proc");
  EXPECT_EQ(procfsBesideSysfs("fixtures/orin/sys/"), "fixtures/orin/proc");
  EXPECT_EQ(procfsBesideSysfs("sys"), "proc");
}

}  // namespace
}  // namespace edgert::hal
