// INA3221 power rails. The monitor is found by I2C bus and address, never by hwmonN (which
// changes between boots), and its channels by label:
//   hwmon (JetPack 5/6): /sys/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/hwmon*/
//       inN_label, inN_input (mV), currN_input (mA), N = 1..3; power = mV * mA / 1000
//   IIO (JetPack 4):     /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:device*/
//       rail_name_N, in_voltageN_input (mV), in_currentN_input (mA), in_powerN_input (mW),
//       N = 0..2
// Channels labelled with "NC" (not connected) are never reported unless the board asks.
#include "edgert/hal/sysfs.hpp"
#include "sensor_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

namespace edgert::hal {

struct PowerMonitor::Channel {
  bool found = false;
  bool hasPower = false;  // IIO: the driver computes mW itself
  sensors::SensorFile voltage;
  sensors::SensorFile current;
  sensors::SensorFile power;
};

namespace {

namespace fs = std::filesystem;

struct FoundChannel {
  std::string label;
  std::string dir;
  int index = 0;
};

// The one directory of `parent` whose name is `prefix` followed by digits.
std::optional<std::string> findNumbered(const std::string& parent, std::string_view prefix) {
  std::error_code ec;
  std::vector<std::string> matches;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
      matches.push_back(parent + "/" + name);
    }
  }
  if (matches.empty()) return std::nullopt;
  std::sort(matches.begin(), matches.end());
  return matches.front();
}

std::string sensorName(const Board::PowerSensor& sensor) {
  return fmt::format("{} {}-{:04x}", powerSensorDriverName(sensor.driver), sensor.i2cBus,
                     sensor.i2cAddress);
}

// The channels the driver labels, in channel order; empty with a problem when not found.
std::vector<FoundChannel> findChannels(const Board::PowerSensor& sensor,
                                       const SensorOptions& options,
                                       std::vector<std::string>& problems) {
  const bool iio = sensor.driver == PowerSensorDriver::kIna3221Iio;
  const std::string device = fmt::format("{}/bus/i2c/drivers/{}/{}-{:04x}", options.sysfsRoot,
                                         iio ? "ina3221x" : "ina3221", sensor.i2cBus,
                                         sensor.i2cAddress);
  const std::optional<std::string> dir =
      iio ? findNumbered(device, "iio:device") : findNumbered(device + "/hwmon", "hwmon");
  if (!dir) {
    problems.push_back(fmt::format("power: {} not found (no {}/{})", sensorName(sensor), device,
                                   iio ? "iio:device*" : "hwmon/hwmon*"));
    return {};
  }
  std::vector<FoundChannel> out;
  for (int n = iio ? 0 : 1; n <= (iio ? 2 : 3); ++n) {
    const std::string labelPath =
        iio ? fmt::format("{}/rail_name_{}", *dir, n) : fmt::format("{}/in{}_label", *dir, n);
    Result<std::string> label = readSysfsString(labelPath);
    if (!label) continue;  // an unlabelled channel is not connected
    out.push_back({std::move(*label), *dir, n});
  }
  return out;
}

}  // namespace

PowerMonitor::PowerMonitor() = default;
PowerMonitor::PowerMonitor(PowerMonitor&&) noexcept = default;
PowerMonitor& PowerMonitor::operator=(PowerMonitor&&) noexcept = default;
PowerMonitor::~PowerMonitor() = default;

Result<PowerMonitor> PowerMonitor::open(const Board::Power& power, const SensorOptions& options) {
  PowerMonitor m;
  m.totalKind_ = power.total;
  m.totalRail_ = power.totalRail;
  for (const Board::PowerSensor& sensor : power.sensors) {
    const bool iio = sensor.driver == PowerSensorDriver::kIna3221Iio;
    const std::vector<FoundChannel> found = findChannels(sensor, options, m.problems_);
    auto addRail = [&](const std::string& label, const FoundChannel* ch) {
      Channel c;
      if (ch != nullptr) {
        c.found = true;
        c.hasPower = iio;
        const int n = ch->index;
        c.voltage = sensors::SensorFile(
            iio ? fmt::format("{}/in_voltage{}_input", ch->dir, n) : fmt::format("{}/in{}_input", ch->dir, n),
            options.readAt);
        c.current = sensors::SensorFile(
            iio ? fmt::format("{}/in_current{}_input", ch->dir, n) : fmt::format("{}/curr{}_input", ch->dir, n),
            options.readAt);
        if (iio) c.power = sensors::SensorFile(fmt::format("{}/in_power{}_input", ch->dir, n), options.readAt);
        m.rails_.push_back({label, fmt::format("{} channel {} ({})", sensorName(sensor), n, ch->dir)});
      } else {
        m.rails_.push_back({label, "not found"});
      }
      m.channels_.push_back(std::move(c));
    };
    if (sensor.rails.empty()) {
      for (const FoundChannel& ch : found) {
        if (ch.label.find("NC") == std::string::npos) addRail(ch.label, &ch);
      }
    } else {
      for (const std::string& label : sensor.rails) {
        auto it = std::find_if(found.begin(), found.end(),
                               [&](const FoundChannel& ch) { return ch.label == label; });
        if (it == found.end() && !found.empty()) {
          m.problems_.push_back(fmt::format("power: rail {} not found on {}", label, sensorName(sensor)));
        }
        addRail(label, it == found.end() ? nullptr : &*it);
      }
    }
  }
  if (m.rails_.size() > kMaxRails) {
    return makeError(Errc::kOutOfRange, "power: {} rails, at most {} are supported",
                     m.rails_.size(), kMaxRails);
  }
  if (m.totalKind_ == PowerTotal::kRail) {
    for (std::size_t i = 0; i < m.rails_.size(); ++i) {
      if (m.rails_[i].label == m.totalRail_) m.totalIndex_ = static_cast<int>(i);
    }
    if (m.totalIndex_ < 0) {
      m.problems_.push_back(fmt::format("power: total rail {} not found", m.totalRail_));
    }
  }
  return m;
}

void PowerMonitor::read(std::span<RailReading> out, TotalPower& total) {
  const std::size_t n = std::min(out.size(), channels_.size());
  for (std::size_t i = 0; i < n; ++i) {
    Channel& c = channels_[i];
    RailReading& r = out[i];
    r = RailReading{};
    if (!c.found) continue;  // kMissing
    const sensors::IntRead mv = c.voltage.readInt();
    const sensors::IntRead ma = c.current.readInt();
    const sensors::IntRead mw = c.hasPower ? c.power.readInt() : sensors::IntRead{ReadingState::kOk, 0, 0};
    for (const sensors::IntRead* part : {&mv, &ma, &mw}) {
      if (part->state != ReadingState::kOk) {
        r.state = part->state;
        r.sysErrno = part->sysErrno;
        break;
      }
      r.state = ReadingState::kOk;
    }
    if (r.state != ReadingState::kOk) continue;
    r.millivolts = static_cast<std::int32_t>(mv.value);
    r.milliamps = static_cast<std::int32_t>(ma.value);
    r.milliwatts = c.hasPower ? static_cast<std::int32_t>(mw.value)
                              : static_cast<std::int32_t>(mv.value * ma.value / 1000);
  }

  total = TotalPower{};
  switch (totalKind_) {
    case PowerTotal::kNone: break;
    case PowerTotal::kRail:
      if (totalIndex_ >= 0 && static_cast<std::size_t>(totalIndex_) < n) {
        total.state = out[static_cast<std::size_t>(totalIndex_)].state;
        total.milliwatts = out[static_cast<std::size_t>(totalIndex_)].milliwatts;
      }
      break;
    case PowerTotal::kSumOfRails:
      total.state = n == 0 ? ReadingState::kMissing : ReadingState::kOk;
      for (std::size_t i = 0; i < n; ++i) {
        if (out[i].state != ReadingState::kOk) {
          total.state = out[i].state;  // a sum missing a rail is not the board's power
          break;
        }
        total.milliwatts += out[i].milliwatts;
      }
      if (total.state != ReadingState::kOk) total.milliwatts = 0;
      break;
  }
}

// ---------------------------------------------------------------------------------------

void EnergyMeter::add(std::int64_t timeNs, const TotalPower& total) {
  if (total.state != ReadingState::kOk) {
    haveLast_ = false;
    return;
  }
  if (haveLast_ && timeNs > lastTimeNs_) {
    // mW * s = mJ
    const double seconds = static_cast<double>(timeNs - lastTimeNs_) * 1e-9;
    millijoules_ += 0.5 * (static_cast<double>(lastMilliwatts_) + total.milliwatts) * seconds;
  }
  haveLast_ = true;
  lastTimeNs_ = timeNs;
  lastMilliwatts_ = total.milliwatts;
}

EnergyMeter::Mark EnergyMeter::mark(std::int64_t nowNs) const {
  Mark m{nowNs, millijoules_};
  if (haveLast_ && nowNs > lastTimeNs_) {
    m.millijoules += static_cast<double>(lastMilliwatts_) * static_cast<double>(nowNs - lastTimeNs_) * 1e-9;
  }
  return m;
}

}  // namespace edgert::hal
