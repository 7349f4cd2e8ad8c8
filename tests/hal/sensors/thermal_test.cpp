#include "edgert/hal/sensors.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgert::hal {
namespace {

using testing::FixtureTree;

Board::Thermal zones(std::vector<std::string> list, std::vector<std::string> ignore = {}) {
  return {std::move(list), std::move(ignore)};
}

TEST(Thermal, ZonesByTypeInTheBoardsOrder) {
  FixtureTree t;
  t.zone(0, "tj-thermal", "50562");
  t.zone(1, "cpu-thermal", "50125");
  t.zone(10, "gpu-thermal", "-1500");
  auto m = ThermalMonitor::open(zones({"cpu-thermal", "gpu-thermal", "cv0-thermal", "tj-thermal"}), t.options());
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->zones().size(), 4u);
  EXPECT_EQ(m->zones()[1].zone, "thermal_zone10");
  EXPECT_EQ(m->zones()[2].zone, "");
  ASSERT_EQ(m->problems().size(), 1u);
  EXPECT_NE(m->problems()[0].find("no zone of type cv0-thermal"), std::string::npos);
  std::array<ZoneReading, kMaxZones> r{};
  m->read(r);
  EXPECT_EQ(r[0].state, ReadingState::kOk);
  EXPECT_DOUBLE_EQ(r[0].celsius(), 50.125);
  EXPECT_DOUBLE_EQ(r[1].celsius(), -1.5);  // below zero is a temperature, not offline
  EXPECT_EQ(r[2].state, ReadingState::kMissing);
  EXPECT_DOUBLE_EQ(r[3].celsius(), 50.562);
}

TEST(Thermal, EveryZoneButTheIgnoredOnesWhenNoneAreListed) {
  FixtureTree t;
  t.zone(2, "PMIC-Die", "100000");
  t.zone(0, "AO-therm", "36500");
  t.zone(1, "CPU-therm", "29500");
  auto m = ThermalMonitor::open(zones({}, {"PMIC-Die"}), t.options());
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->zones().size(), 2u);
  EXPECT_EQ(m->zones()[0].type, "AO-therm");
  EXPECT_EQ(m->zones()[1].type, "CPU-therm");
  EXPECT_TRUE(m->problems().empty());
}

TEST(Thermal, MinusTwoFiftySixIsOffline) {
  FixtureTree t;
  t.zone(0, "cv0-thermal", "-256000");
  auto m = ThermalMonitor::open(zones({"cv0-thermal"}), t.options());
  ASSERT_TRUE(m);
  std::array<ZoneReading, kMaxZones> r{};
  m->read(r);
  EXPECT_EQ(r[0].state, ReadingState::kOffline);
}

// A regular file cannot fail with EAGAIN, which is what a powered-down Tegra sensor returns.
// The reader's pread is replaced by one that fails for the one zone, on the real descriptor
// the monitor opened; everything else (open, state mapping, the other zones) is real.
ssize_t preadOfflineZone1(int fd, void* buf, std::size_t count, off_t offset) {
  char link[64];
  char target[512] = {};
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n > 0 && std::strstr(target, "/thermal_zone1/temp") != nullptr) {
    errno = EAGAIN;
    return -1;
  }
  return ::pread(fd, buf, count, offset);
}

TEST(Thermal, EagainIsOfflineNotAnError) {
  FixtureTree t;
  t.zone(0, "cpu-thermal", "45000");
  t.zone(1, "gpu-thermal", "45000");
  SensorOptions o = t.options();
  o.readAt = preadOfflineZone1;
  auto m = ThermalMonitor::open(zones({"cpu-thermal", "gpu-thermal"}), o);
  ASSERT_TRUE(m);
  std::array<ZoneReading, kMaxZones> r{};
  m->read(r);
  EXPECT_EQ(r[0].state, ReadingState::kOk);
  EXPECT_EQ(r[1].state, ReadingState::kOffline);
  EXPECT_EQ(r[1].sysErrno, EAGAIN);
}

TEST(Thermal, GarbageIsAnErrorOfThatZone) {
  FixtureTree t;
  t.zone(0, "cpu-thermal", "hot");
  t.zone(1, "gpu-thermal", "41000");
  auto m = ThermalMonitor::open(zones({"cpu-thermal", "gpu-thermal"}), t.options());
  ASSERT_TRUE(m);
  std::array<ZoneReading, kMaxZones> r{};
  m->read(r);
  EXPECT_EQ(r[0].state, ReadingState::kError);
  EXPECT_EQ(r[0].sysErrno, EINVAL);
  EXPECT_EQ(r[1].state, ReadingState::kOk);
}

}  // namespace
}  // namespace edgert::hal
