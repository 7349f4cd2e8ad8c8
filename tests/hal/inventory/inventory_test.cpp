#include "edgert/hal/inventory.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;

// A throw-away sysfs tree for one test.
class FixtureTree {
 public:
  FixtureTree() {
    std::string pattern = (fs::temp_directory_path() / "edgert-sysfs-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
  }
  ~FixtureTree() { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) const {
    const fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(Inventory, ThermalZonesSortedNumericallyWithOfflineZones) {
  FixtureTree t;
  t.write("class/thermal/thermal_zone10/type", "tj-thermal\n");
  t.write("class/thermal/thermal_zone10/temp", "51250\n");
  t.write("class/thermal/thermal_zone2/type", "gpu-thermal\n");
  t.write("class/thermal/thermal_zone2/temp", "-256000\n");
  t.write("class/thermal/thermal_zone1/type", "cpu-thermal\n");
  t.write("class/thermal/thermal_zone1/temp", "hot\n");
  t.write("class/thermal/cooling_device0/type", "fan\n");  // not a zone

  const auto zones = probeThermalZones({.sysfsRoot = t.root(), .devRoot = "/dev"});
  ASSERT_EQ(zones.size(), 3u);
  EXPECT_EQ(zones[0].zone, "thermal_zone1");
  EXPECT_EQ(zones[0].state,
            t.root() + "/class/thermal/thermal_zone1/temp: expected an integer, found \"hot\"");
  EXPECT_EQ(zones[1].type, "gpu-thermal");
  EXPECT_EQ(zones[1].state, "offline");
  EXPECT_EQ(zones[2].zone, "thermal_zone10");
  EXPECT_EQ(zones[2].type, "tj-thermal");
  EXPECT_EQ(zones[2].state, "51.2 C");
}

TEST(Inventory, VideoDevicesAndWatchdogs) {
  FixtureTree t;
  t.write("class/video4linux/video0/name", "vivid-000-vid-cap\n");
  t.write("class/video4linux/video3/name", "vivid-000-vbi-out\n");
  t.write("class/watchdog/watchdog0/identity", "Software Watchdog\n");
  t.write("class/watchdog/watchdog0/timeout", "3\n");
  t.write("class/watchdog/watchdog1/identity", "tegra_wdt\n");

  const InventoryOptions opts{.sysfsRoot = t.root(), .devRoot = "/devroot"};
  const auto video = probeVideoDevices(opts);
  ASSERT_EQ(video.size(), 2u);
  EXPECT_EQ(video[0].node, "/devroot/video0");
  EXPECT_EQ(video[0].name, "vivid-000-vid-cap");
  EXPECT_EQ(video[1].node, "/devroot/video3");

  const auto wds = probeWatchdogs(opts);
  ASSERT_EQ(wds.size(), 2u);
  EXPECT_EQ(wds[0].identity, "Software Watchdog");
  EXPECT_EQ(wds[0].timeoutS, 3);
  EXPECT_EQ(wds[1].node, "/devroot/watchdog1");
  EXPECT_EQ(wds[1].timeoutS, -1);  // no timeout file: unknown, not an error
}

TEST(Inventory, MissingSysfsClassesAreEmptyNotErrors) {
  const InventoryOptions opts{.sysfsRoot = "/nonexistent/edgert", .devRoot = "/dev"};
  EXPECT_TRUE(probeVideoDevices(opts).empty());
  EXPECT_TRUE(probeThermalZones(opts).empty());
  EXPECT_TRUE(probeWatchdogs(opts).empty());
}

TEST(Inventory, FormatHasEverySectionInOrder) {
  Inventory inv;
  inv.openCl = makeError(Errc::kNotFound, "no OpenCL platform: test");
  inv.drm = std::vector<DrmDevice>{{"pci", "0000:00:02.0", "virtio_gpu", "/dev/dri/card0",
                                     "/dev/dri/renderD128"}};
  inv.thermal = {{"thermal_zone0", "cpu-thermal", "40.0 C"}};
  const std::string text = formatInventory(inv);
  EXPECT_EQ(text,
            "OpenCL:\n"
            "  unavailable: no OpenCL platform: test\n"
            "DRM:\n"
            "  pci 0000:00:02.0 driver virtio_gpu, /dev/dri/card0, /dev/dri/renderD128\n"
            "Video:\n"
            "  none\n"
            "Thermal:\n"
            "  thermal_zone0 cpu-thermal: 40.0 C\n"
            "Watchdog:\n"
            "  none\n");
}

// The OpenCL probe runs against the real ICD loader. On x86-64 hosts the bootstrap
// installs PoCL, which must be found with a usable CPU device; the aarch64 build (run
// under qemu-user) has the arm64 ICD loader but no arm64 driver, so the probe must say so.
TEST(Inventory, OpenClThroughTheIcdLoader) {
  auto platforms = probeOpenCl();
#if defined(__x86_64__)
  ASSERT_TRUE(platforms.ok()) << platforms.error().message();
  bool foundPocl = false;
  for (const OpenClPlatform& p : *platforms) {
    if (p.name.find("Portable Computing Language") == std::string::npos) continue;
    foundPocl = true;
    ASSERT_FALSE(p.devices.empty());
    EXPECT_EQ(p.devices[0].type, "cpu");
    EXPECT_GE(p.devices[0].computeUnits, 1u);
    EXPECT_GT(p.devices[0].globalMemBytes, 0u);
  }
  EXPECT_TRUE(foundPocl) << "PoCL platform not found";
#else
  ASSERT_FALSE(platforms.ok());
  EXPECT_EQ(platforms.error().code(), Errc::kNotFound);
  EXPECT_NE(platforms.error().message().find("/etc/OpenCL/vendors"), std::string::npos);
#endif
}

TEST(Inventory, DrmProbeRunsWithoutDevices) {
  // CI machines have no /dev/dri; the virtual board exercises real DRM drivers.
  auto drm = probeDrm();
  ASSERT_TRUE(drm.ok()) << drm.error().message();
  for (const DrmDevice& d : *drm) EXPECT_FALSE(d.primaryNode.empty() && d.renderNode.empty());
}

}  // namespace
}  // namespace edgert::hal
