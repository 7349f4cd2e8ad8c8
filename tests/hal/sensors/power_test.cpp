#include "edgert/hal/sensors.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace edgert::hal {
namespace {

using testing::FixtureTree;

Board::Power hwmonPower(std::vector<std::string> rails, const char* total) {
  Board::Power p;
  p.sensors.push_back({PowerSensorDriver::kIna3221Hwmon, 1, 0x40, std::move(rails)});
  if (std::string_view(total) == "sum") {
    p.total = PowerTotal::kSumOfRails;
  } else {
    p.total = PowerTotal::kRail;
    p.totalRail = total;
  }
  return p;
}

TEST(Power, HwmonFoundByAddressWhateverItsIndex) {
  for (int index : {0, 3, 7}) {
    FixtureTree t;
    t.hwmon(1, 0x40, index, {{"VDD_IN", 5072, 1306}, {"VDD_CPU_GPU_CV", 5064, 242}, {"VDD_SOC", 5064, 470}});
    auto m = PowerMonitor::open(hwmonPower({"VDD_IN", "VDD_SOC"}, "VDD_IN"), t.options());
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_TRUE(m->problems().empty());
    ASSERT_EQ(m->rails().size(), 2u);
    EXPECT_EQ(m->rails()[1].label, "VDD_SOC");
    std::array<RailReading, kMaxRails> r{};
    TotalPower total;
    m->read(r, total);
    EXPECT_EQ(r[0].state, ReadingState::kOk);
    EXPECT_EQ(r[0].millivolts, 5072);
    EXPECT_EQ(r[0].milliamps, 1306);
    EXPECT_EQ(r[0].milliwatts, 5072 * 1306 / 1000);
    EXPECT_EQ(r[1].milliwatts, 5064 * 470 / 1000);
    EXPECT_EQ(total.state, ReadingState::kOk);
    EXPECT_EQ(total.milliwatts, r[0].milliwatts);
  }
}

TEST(Power, NotConnectedChannelsAreSkippedWhenRailsAreNotListed) {
  FixtureTree t;
  t.hwmon(1, 0x41, 4, {{"NC", 0, 0}, {"VDDQ_VDD2_1V8AO", 5000, 140}, {"NC", 0, 0}});
  Board::Power p;
  p.sensors.push_back({PowerSensorDriver::kIna3221Hwmon, 1, 0x41, {}});
  p.total = PowerTotal::kSumOfRails;
  auto m = PowerMonitor::open(p, t.options());
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->rails().size(), 1u);
  EXPECT_EQ(m->rails()[0].label, "VDDQ_VDD2_1V8AO");
  std::array<RailReading, kMaxRails> r{};
  TotalPower total;
  m->read(r, total);
  EXPECT_EQ(total.state, ReadingState::kOk);
  EXPECT_EQ(total.milliwatts, 700);
}

TEST(Power, IioRailsReportTheDriversPower) {
  FixtureTree t;
  const std::string dir = "sys/devices/i2c-6/6-0040/iio:device0/";
  const char* labels[] = {"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"};
  for (int n = 0; n < 3; ++n) {
    t.write(dir + "rail_name_" + std::to_string(n), std::string(labels[n]) + "\n");
    t.write(dir + "in_voltage" + std::to_string(n) + "_input", "5000\n");
    t.write(dir + "in_current" + std::to_string(n) + "_input", std::to_string(100 * (n + 1)) + "\n");
    t.write(dir + "in_power" + std::to_string(n) + "_input", std::to_string(499 * (n + 1)) + "\n");
  }
  t.link("sys/bus/i2c/drivers/ina3221x/6-0040", t.path("sys/devices/i2c-6/6-0040"));
  Board::Power p;
  p.sensors.push_back({PowerSensorDriver::kIna3221Iio, 6, 0x40, {}});
  p.total = PowerTotal::kRail;
  p.totalRail = "POM_5V_IN";
  auto m = PowerMonitor::open(p, t.options());
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->rails().size(), 3u);
  std::array<RailReading, kMaxRails> r{};
  TotalPower total;
  m->read(r, total);
  EXPECT_EQ(r[2].milliamps, 300);
  EXPECT_EQ(r[2].milliwatts, 1497);  // in_power2_input, not 5000 * 300 / 1000
  EXPECT_EQ(total.milliwatts, 499);
}

TEST(Power, MissingRailReadsMissingAndTheSumIsNotReported) {
  FixtureTree t;
  t.hwmon(1, 0x40, 2, {{"VDD_GPU_SOC", 19960, 150}, {"VDD_CPU_CV", 19960, 60}});
  auto m = PowerMonitor::open(hwmonPower({"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"}, "sum"), t.options());
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->problems().size(), 1u);
  EXPECT_EQ(m->problems()[0], "power: rail VIN_SYS_5V0 not found on ina3221 1-0040");
  std::array<RailReading, kMaxRails> r{};
  TotalPower total;
  m->read(r, total);
  EXPECT_EQ(r[0].state, ReadingState::kOk);
  EXPECT_EQ(r[2].state, ReadingState::kMissing);
  EXPECT_EQ(total.state, ReadingState::kMissing);
}

TEST(Power, MissingSensorIsAProblemNotAnError) {
  FixtureTree t;
  t.mkdir("sys/bus/i2c/drivers/ina3221");
  auto m = PowerMonitor::open(hwmonPower({"VDD_IN"}, "VDD_IN"), t.options());
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->problems().size(), 1u);
  EXPECT_NE(m->problems()[0].find("power: ina3221 1-0040 not found"), std::string::npos) << m->problems()[0];
  std::array<RailReading, kMaxRails> r{};
  TotalPower total;
  m->read(r, total);
  EXPECT_EQ(r[0].state, ReadingState::kMissing);
  EXPECT_EQ(total.state, ReadingState::kMissing);
}

TEST(Power, UnreadableFileIsAnErrorOfThatRailOnly) {
  FixtureTree t;
  t.hwmon(1, 0x40, 5, {{"VDD_IN", 5000, 1000}, {"VDD_SOC", 5000, 400}});
  // A directory where the attribute should be: open succeeds, read fails with EISDIR.
  std::filesystem::remove(t.path("sys/devices/i2c-1/1-0040/hwmon/hwmon5/curr2_input"));
  t.mkdir("sys/devices/i2c-1/1-0040/hwmon/hwmon5/curr2_input");
  auto m = PowerMonitor::open(hwmonPower({"VDD_IN", "VDD_SOC"}, "VDD_IN"), t.options());
  ASSERT_TRUE(m) << m.error().message();
  std::array<RailReading, kMaxRails> r{};
  TotalPower total;
  m->read(r, total);
  EXPECT_EQ(r[0].state, ReadingState::kOk);
  EXPECT_EQ(r[1].state, ReadingState::kError);
  EXPECT_EQ(r[1].sysErrno, EISDIR);
  EXPECT_EQ(total.state, ReadingState::kOk);
  EXPECT_EQ(total.milliwatts, 5000);
}

TEST(Power, ValuesAreReadAgainOnEverySample) {
  FixtureTree t;
  t.hwmon(1, 0x40, 1, {{"VDD_IN", 5000, 1000}});
  auto m = PowerMonitor::open(hwmonPower({"VDD_IN"}, "VDD_IN"), t.options());
  ASSERT_TRUE(m);
  std::array<RailReading, kMaxRails> r{};
  TotalPower total;
  m->read(r, total);
  EXPECT_EQ(total.milliwatts, 5000);
  t.write("sys/devices/i2c-1/1-0040/hwmon/hwmon1/curr1_input", "2000\n");
  m->read(r, total);
  EXPECT_EQ(total.milliwatts, 10000);
}

TEST(Energy, TrapezoidOverSampleTimes) {
  EnergyMeter e;
  constexpr std::int64_t kSecond = 1'000'000'000;
  e.add(0, {ReadingState::kOk, 1000});
  e.add(kSecond, {ReadingState::kOk, 3000});  // 1 s at 1..3 W: 2000 mJ
  EXPECT_DOUBLE_EQ(e.millijoules(), 2000.0);
  const EnergyMeter::Mark before = e.mark(kSecond);
  e.add(kSecond + kSecond / 2, {ReadingState::kOk, 3000});  // +1500 mJ
  const EnergyMeter::Mark after = e.mark(2 * kSecond);      // +1500 mJ held since
  EXPECT_DOUBLE_EQ(EnergyMeter::between(before, after), 3000.0);
}

TEST(Energy, GapsAreNotCounted) {
  EnergyMeter e;
  constexpr std::int64_t kSecond = 1'000'000'000;
  e.add(0, {ReadingState::kOk, 1000});
  e.add(kSecond, {ReadingState::kError, 0});
  e.add(2 * kSecond, {ReadingState::kOk, 1000});
  EXPECT_DOUBLE_EQ(e.millijoules(), 0.0);
  e.add(3 * kSecond, {ReadingState::kOk, 1000});
  EXPECT_DOUBLE_EQ(e.millijoules(), 1000.0);
}

}  // namespace
}  // namespace edgert::hal
