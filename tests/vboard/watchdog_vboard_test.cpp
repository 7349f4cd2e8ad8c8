// hal::DeviceWatchdog against the kernel's softdog driver in the virtual board (loaded with
// soft_margin=60; the tests set their own timeout). The driver's sysfs view
// (/sys/class/watchdog/watchdogN/{state,timeout}) says what the kernel believes: armed or
// not, and with which timeout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "edgert/hal/watchdog.hpp"

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;

std::string readLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The softdog's device node and sysfs folder, found by its identity.
struct Softdog {
  std::string device;
  fs::path sysfs;
};

Softdog findSoftdog() {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator("/sys/class/watchdog", ec)) {
    if (readLine(e.path() / "identity") == "Software Watchdog") {
      return {"/dev/" + e.path().filename().string(), e.path()};
    }
  }
  return {};
}

TEST(DeviceWatchdogVboard, ArmsKeepsAliveAndDisarmsByMagicClose) {
  const Softdog dog = findSoftdog();
  ASSERT_FALSE(dog.device.empty()) << "no softdog in /sys/class/watchdog (modprobe softdog)";
  ASSERT_EQ(readLine(dog.sysfs / "state"), "inactive");

  Result<DeviceWatchdog> opened = DeviceWatchdog::open(dog.device, 17);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  DeviceWatchdog& wd = *opened;
  EXPECT_EQ(wd.identity(), "Software Watchdog");
  EXPECT_EQ(wd.timeoutSeconds(), 17);
  EXPECT_FALSE(wd.lastResetByWatchdog());
  EXPECT_EQ(readLine(dog.sysfs / "state"), "active");
  EXPECT_EQ(readLine(dog.sysfs / "timeout"), "17");
  for (int i = 0; i < 3; ++i) {
    Result<void> pet = wd.keepalive();
    EXPECT_TRUE(pet.ok()) << pet.error().message();
  }

  // A second owner is refused while the first holds it, naming the device.
  Result<DeviceWatchdog> second = DeviceWatchdog::open(dog.device, 17);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find(dog.device), std::string::npos) << second.error().message();

  EXPECT_TRUE(wd.close()) << "softdog supports the magic close";
  EXPECT_EQ(readLine(dog.sysfs / "state"), "inactive");
  EXPECT_FALSE(wd.keepalive().ok()) << "a closed watchdog cannot be petted";
}

TEST(DeviceWatchdogVboard, WithoutMagicCloseTheWatchdogStaysArmed) {
  const Softdog dog = findSoftdog();
  ASSERT_FALSE(dog.device.empty()) << "no softdog in /sys/class/watchdog (modprobe softdog)";
  {
    // As a crash would leave it: closed without the magic character.
    Result<DeviceWatchdog> opened = DeviceWatchdog::open(dog.device, 30);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
  }
  EXPECT_EQ(readLine(dog.sysfs / "state"), "active") << "the board must still reset";
  // Disarm it again before it fires (30 s), so the other tests can run.
  Result<DeviceWatchdog> again = DeviceWatchdog::open(dog.device, 30);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(again->close());
  EXPECT_EQ(readLine(dog.sysfs / "state"), "inactive");
}

TEST(DeviceWatchdogVboard, MissingDeviceIsNamed) {
  Result<DeviceWatchdog> opened = DeviceWatchdog::open("/dev/watchdog-edgert-none", 10);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("/dev/watchdog-edgert-none"), std::string::npos)
      << opened.error().message();
}

}  // namespace
}  // namespace edgert::hal
