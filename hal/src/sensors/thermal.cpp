// Thermal zones, found by type: /sys/class/thermal/thermal_zone*/{type,temp}, temp in
// milli-degrees Celsius. A zone reading -256 C or failing with EAGAIN is offline (a
// powered-down domain), not an error.
#include "edgert/hal/sysfs.hpp"
#include "sensor_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace edgert::hal {

struct ThermalMonitor::Source {
  sensors::SensorFile temp;  // not open when the zone was not found
  bool found = false;
};

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kOfflineMilliCelsius = -256000;

struct FoundZone {
  int index = 0;
  std::string name;  // thermal_zoneN
  std::string type;
};

std::vector<FoundZone> listZones(const std::string& dir) {
  std::vector<FoundZone> out;
  std::error_code ec;
  constexpr std::string_view kPrefix = "thermal_zone";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    int index = 0;
    auto [ptr, errc] = std::from_chars(name.data() + kPrefix.size(), name.data() + name.size(), index);
    if (errc != std::errc() || ptr != name.data() + name.size()) continue;
    Result<std::string> type = readSysfsString(dir + "/" + name + "/type");
    out.push_back({index, name, type ? std::move(*type) : std::string()});
  }
  std::sort(out.begin(), out.end(), [](const FoundZone& a, const FoundZone& b) { return a.index < b.index; });
  return out;
}

}  // namespace

ThermalMonitor::ThermalMonitor() = default;
ThermalMonitor::ThermalMonitor(ThermalMonitor&&) noexcept = default;
ThermalMonitor& ThermalMonitor::operator=(ThermalMonitor&&) noexcept = default;
ThermalMonitor::~ThermalMonitor() = default;

Result<ThermalMonitor> ThermalMonitor::open(const Board::Thermal& thermal, const SensorOptions& options) {
  ThermalMonitor m;
  const std::string dir = options.sysfsRoot + "/class/thermal";
  const std::vector<FoundZone> found = listZones(dir);
  auto add = [&](const std::string& type, const FoundZone* zone) {
    Source s;
    if (zone != nullptr) {
      s.found = true;
      s.temp = sensors::SensorFile(dir + "/" + zone->name + "/temp", options.readAt);
    }
    m.zones_.push_back({type, zone != nullptr ? zone->name : std::string()});
    m.sources_.push_back(std::move(s));
  };
  if (thermal.zones.empty()) {
    for (const FoundZone& z : found) {
      if (z.type.empty()) continue;  // type unreadable: nothing to call it
      if (std::find(thermal.ignore.begin(), thermal.ignore.end(), z.type) != thermal.ignore.end()) continue;
      add(z.type, &z);
    }
  } else {
    for (const std::string& type : thermal.zones) {
      auto it = std::find_if(found.begin(), found.end(), [&](const FoundZone& z) { return z.type == type; });
      if (it == found.end()) m.problems_.push_back(fmt::format("thermal: no zone of type {} in {}", type, dir));
      add(type, it == found.end() ? nullptr : &*it);
    }
  }
  if (m.zones_.size() > kMaxZones) {
    return makeError(Errc::kOutOfRange, "thermal: {} zones, at most {} are supported", m.zones_.size(),
                     kMaxZones);
  }
  return m;
}

void ThermalMonitor::read(std::span<ZoneReading> out) {
  const std::size_t n = std::min(out.size(), sources_.size());
  for (std::size_t i = 0; i < n; ++i) {
    ZoneReading& z = out[i];
    z = ZoneReading{};
    if (!sources_[i].found) continue;  // kMissing
    const sensors::IntRead t = sources_[i].temp.readInt();
    z.state = t.state;
    z.sysErrno = t.sysErrno;
    if (t.state != ReadingState::kOk) continue;
    if (t.value <= kOfflineMilliCelsius) {
      z.state = ReadingState::kOffline;
      continue;
    }
    z.milliCelsius = static_cast<std::int32_t>(t.value);
  }
}

}  // namespace edgert::hal
