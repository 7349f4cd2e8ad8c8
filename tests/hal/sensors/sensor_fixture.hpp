// Sensor test helpers: throw-away sysfs/procfs trees written from a few lines of C++, and
// the committed fixture trees of the board files (fixtures/<board>/{sys,proc}).
#pragma once

#include "edgert/hal/board.hpp"
#include "edgert/hal/sensors.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <tuple>

namespace edgert::hal::testing {

namespace fs = std::filesystem;

// A temporary root with sys/ and proc/ below it, removed at the end of the test.
class FixtureTree {
 public:
  FixtureTree() {
    std::string pattern = (fs::temp_directory_path() / "edgert-sensors-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
  }
  ~FixtureTree() { fs::remove_all(root_); }
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;

  // Writes `text` to root/rel, creating directories.
  void write(const std::string& rel, const std::string& text) const {
    const fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  // A symlink root/rel -> target (relative or absolute), as sysfs has them.
  void link(const std::string& rel, const std::string& target) const {
    const fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    fs::create_directory_symlink(target, p);
  }
  void mkdir(const std::string& rel) const { fs::create_directories(fs::path(root_) / rel); }

  std::string path(const std::string& rel) const { return root_ + "/" + rel; }
  std::string sys() const { return root_ + "/sys"; }
  SensorOptions options() const {
    SensorOptions o;
    o.sysfsRoot = sys();
    o.procfsRoot = root_ + "/proc";
    return o;
  }

  // An INA3221 under the hwmon driver at hwmon<index>, channels (label, mV, mA).
  void hwmon(int bus, int address, int index,
             std::initializer_list<std::tuple<const char*, int, int>> channels) const {
    char dev[32];
    std::snprintf(dev, sizeof dev, "%d-%04x", bus, address);
    const std::string dir = std::string("sys/devices/i2c-") + std::to_string(bus) + "/" + dev;
    int n = 1;
    for (const auto& [label, mv, ma] : channels) {
      const std::string h = dir + "/hwmon/hwmon" + std::to_string(index) + "/";
      write(h + "in" + std::to_string(n) + "_label", std::string(label) + "\n");
      write(h + "in" + std::to_string(n) + "_input", std::to_string(mv) + "\n");
      write(h + "curr" + std::to_string(n) + "_input", std::to_string(ma) + "\n");
      ++n;
    }
    link(std::string("sys/bus/i2c/drivers/ina3221/") + dev, path(dir));
  }

  // A thermal zone thermal_zone<n>.
  void zone(int n, const std::string& type, const std::string& temp) const {
    const std::string d = "sys/class/thermal/thermal_zone" + std::to_string(n) + "/";
    write(d + "type", type + "\n");
    write(d + "temp", temp + "\n");
  }

  // A devfreq node `node` whose device's of_node name is `ofName`, with load and freqs.
  void devfreq(const std::string& node, const std::string& ofName, int load) const {
    const std::string dev = "sys/devices/platform/" + node;
    const std::string df = dev + "/devfreq/" + node;
    write(df + "/cur_freq", "306000000\n");
    write(df + "/min_freq", "306000000\n");
    write(df + "/max_freq", "624750000\n");
    write(df + "/governor", "nvhost_podgov\n");
    write(dev + "/load", std::to_string(load) + "\n");
    write("sys/firmware/devicetree/base/" + node + "/name", ofName + std::string(1, '\0'));
    link(df + "/device", path(dev));
    link(dev + "/of_node", path("sys/firmware/devicetree/base/" + node));
    link("sys/class/devfreq/" + node, path(df));
  }

 private:
  std::string root_;
};

// The committed fixture of a board file: tests/hal/sensors/fixtures/<board>/.
inline SensorOptions committedFixture(const std::string& board) {
  const std::string base = std::string(EDGERT_TEST_DATA_DIR) + "/hal/sensors/fixtures/" + board;
  SensorOptions o;
  o.sysfsRoot = base + "/sys";
  o.procfsRoot = base + "/proc";
  return o;
}

inline Board loadBoard(const std::string& name) {
  return loadBoardFile(std::string(EDGERT_SOURCE_DIR) + "/board/" + name + ".toml").value();
}

}  // namespace edgert::hal::testing
