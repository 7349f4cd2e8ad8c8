#include "edgert/hal/inventory.hpp"

#include "edgert/hal/sysfs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string_view>

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;

// Entries of `dir` named `<prefix><N>`, sorted by N (thermal_zone10 after thermal_zone9).
std::vector<std::pair<int, std::string>> numberedEntries(const std::string& dir,
                                                         std::string_view prefix) {
  std::vector<std::pair<int, std::string>> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    int index = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    auto [ptr, errc] = std::from_chars(first, last, index);
    if (errc != std::errc() || ptr != last) continue;
    out.emplace_back(index, name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string formatBytes(std::uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ull << 30));
  if (bytes >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20));
  return fmt::format("{} KiB", bytes / 1024);
}

// Appends one formatted line to a report.
struct Lines {
  std::string& out;
  template <typename... Args>
  void operator()(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
    out += '\n';
  }
};

}  // namespace

std::vector<VideoDevice> probeVideoDevices(const InventoryOptions& options) {
  std::vector<VideoDevice> out;
  const std::string dir = options.sysfsRoot + "/class/video4linux";
  for (const auto& [index, name] : numberedEntries(dir, "video")) {
    VideoDevice dev;
    dev.node = fmt::format("{}/{}", options.devRoot, name);
    dev.name = readSysfsString(dir + "/" + name + "/name").valueOr("(name unreadable)");
    out.push_back(std::move(dev));
  }
  return out;
}

std::vector<ThermalZone> probeThermalZones(const InventoryOptions& options) {
  std::vector<ThermalZone> out;
  const std::string dir = options.sysfsRoot + "/class/thermal";
  for (const auto& [index, name] : numberedEntries(dir, "thermal_zone")) {
    ThermalZone zone;
    zone.zone = name;
    zone.type = readSysfsString(dir + "/" + name + "/type").valueOr("(type unreadable)");
    // -256 C and EAGAIN mean the sensor is offline right now (a powered-down domain).
    Result<std::int64_t> temp = readSysfsInt(dir + "/" + name + "/temp");
    if (temp.ok()) {
      zone.state = *temp <= -256000 ? "offline" : fmt::format("{:.1f} C", static_cast<double>(*temp) / 1000.0);
    } else if (temp.error().sysErrno() == EAGAIN) {
      zone.state = "offline";
    } else {
      zone.state = temp.error().message();
    }
    out.push_back(std::move(zone));
  }
  return out;
}

std::vector<Watchdog> probeWatchdogs(const InventoryOptions& options) {
  std::vector<Watchdog> out;
  const std::string dir = options.sysfsRoot + "/class/watchdog";
  for (const auto& [index, name] : numberedEntries(dir, "watchdog")) {
    Watchdog wd;
    wd.node = fmt::format("{}/{}", options.devRoot, name);
    wd.identity = readSysfsString(dir + "/" + name + "/identity").valueOr("(identity unreadable)");
    if (Result<std::int64_t> t = readSysfsInt(dir + "/" + name + "/timeout"); t.ok()) {
      wd.timeoutS = static_cast<int>(*t);
    }
    out.push_back(std::move(wd));
  }
  return out;
}

Inventory takeInventory(const InventoryOptions& options) {
  Inventory inv;
  inv.openCl = probeOpenCl();
  inv.drm = probeDrm();
  inv.video = probeVideoDevices(options);
  inv.thermal = probeThermalZones(options);
  inv.watchdogs = probeWatchdogs(options);
  return inv;
}

std::string formatInventory(const Inventory& inv) {
  std::string out;
  Lines line{out};

  line("OpenCL:");
  if (!inv.openCl.ok()) {
    line("  unavailable: {}", inv.openCl.error().message());
  } else if (inv.openCl->empty()) {
    line("  none");
  } else {
    for (const OpenClPlatform& p : *inv.openCl) {
      line("  platform {} ({}), {}", p.name, p.vendor, p.version);
      if (p.devices.empty()) line("    no devices");
      for (const OpenClDevice& d : p.devices) {
        line("    {} device {}: {} compute units, {} global, {} local, fp16 {}, driver {}", d.type,
             d.name, d.computeUnits, formatBytes(d.globalMemBytes), formatBytes(d.localMemBytes),
             d.fp16 ? "yes" : "no", d.driverVersion);
      }
    }
  }

  line("DRM:");
  if (!inv.drm.ok()) {
    line("  unavailable: {}", inv.drm.error().message());
  } else if (inv.drm->empty()) {
    line("  none");
  } else {
    for (const DrmDevice& d : *inv.drm) {
      line("  {} {} driver {}{}{}", d.bus, d.busId, d.driver,
           d.primaryNode.empty() ? "" : ", " + d.primaryNode,
           d.renderNode.empty() ? "" : ", " + d.renderNode);
    }
  }

  line("Video:");
  if (inv.video.empty()) line("  none");
  for (const VideoDevice& v : inv.video) line("  {}: {}", v.node, v.name);

  line("Thermal:");
  if (inv.thermal.empty()) line("  none");
  for (const ThermalZone& z : inv.thermal) line("  {} {}: {}", z.zone, z.type, z.state);

  line("Watchdog:");
  if (inv.watchdogs.empty()) line("  none");
  for (const Watchdog& w : inv.watchdogs) {
    if (w.timeoutS >= 0) {
      line("  {}: {}, timeout {} s", w.node, w.identity, w.timeoutS);
    } else {
      line("  {}: {}", w.node, w.identity);
    }
  }
  return out;
}

}  // namespace edgert::hal
