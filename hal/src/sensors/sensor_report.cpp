// Text and JSON reports of one sample (edgert sensors).
#include "edgert/hal/sampler.hpp"

#include "edgert/base/json.hpp"

#include <fmt/format.h>

#include <cstring>
#include <iterator>

namespace edgert::hal {

namespace {

std::string_view shortZoneName(std::string_view type) {
  for (std::string_view suffix : {std::string_view("-thermal"), std::string_view("-therm")}) {
    if (type.size() > suffix.size() && type.substr(type.size() - suffix.size()) == suffix) {
      return type.substr(0, type.size() - suffix.size());
    }
  }
  return type;
}

// "state":"...", plus "error":"<strerror>" for kError.
void appendState(std::string& out, std::string_view key, ReadingState state, int err) {
  fmt::format_to(std::back_inserter(out), "\"{}\":\"{}\"", key, readingStateName(state));
  if (state == ReadingState::kError && err != 0) {
    out += ",\"error\":";
    appendJsonString(out, std::strerror(err));
  }
}

}  // namespace

std::string formatSampleLine(const SensorSet& sensors, const SensorSample& sample,
                             const WindowStats& window) {
  std::string out;
  auto it = std::back_inserter(out);

  const int cores = std::min(sensors.cpu().cores(), static_cast<int>(kMaxCpuCores));
  out += "CPU [";
  for (int n = 0; n < cores; ++n) {
    const CoreReading& c = sample.cpu.cores[static_cast<std::size_t>(n)];
    if (n > 0) out += ',';
    if (c.loadState == ReadingState::kOk) {
      fmt::format_to(it, "{}%", (c.loadPermille + 5) / 10);
    } else {
      out += c.loadState == ReadingState::kOffline ? "off" : readingStateName(c.loadState);
    }
    if (c.freqState == ReadingState::kOk) fmt::format_to(it, "@{}", c.freqKhz / 1000);
  }
  out += ']';

  if (!sensors.gpu().devfreqNode().empty()) {
    out += " GR3D_FREQ ";
    if (sample.gpu.loadState == ReadingState::kOk) {
      fmt::format_to(it, "{}%", (sample.gpu.loadPermille + 5) / 10);
    } else {
      out += readingStateName(sample.gpu.loadState);
    }
    if (sample.gpu.freqState == ReadingState::kOk) fmt::format_to(it, "@{}", sample.gpu.curHz / 1'000'000);
  }

  const auto zones = sensors.thermal().zones();
  for (std::size_t i = 0; i < zones.size(); ++i) {
    const ZoneReading& z = sample.zones[i];
    fmt::format_to(it, " {}@", shortZoneName(zones[i].type));
    if (z.state == ReadingState::kOk) {
      fmt::format_to(it, "{:.1f}C", z.celsius());
    } else {
      out += readingStateName(z.state);
    }
  }

  const auto rails = sensors.power().rails();
  for (std::size_t i = 0; i < rails.size(); ++i) {
    const RailReading& r = sample.rails[i];
    fmt::format_to(it, " {} ", rails[i].label);
    if (r.state == ReadingState::kOk) {
      fmt::format_to(it, "{}mW/{:.0f}mW", r.milliwatts, window.railMilliwatts[i].avg);
    } else {
      out += readingStateName(r.state);
    }
  }
  if (sensors.power().totalKind() == PowerTotal::kSumOfRails) {
    out += " total ";
    if (sample.total.state == ReadingState::kOk) {
      fmt::format_to(it, "{}mW/{:.0f}mW", sample.total.milliwatts, window.totalMilliwatts.avg);
    } else {
      out += readingStateName(sample.total.state);
    }
  }
  if (sensors.power().totalKind() != PowerTotal::kNone) {
    fmt::format_to(it, " energy {:.1f}mJ", sample.energyMillijoules);
  }
  return out;
}

std::string formatSampleJson(const SensorSet& sensors, const SensorSample& sample,
                             const WindowStats& window, std::int64_t startNs,
                             const OpenClStatus* openCl) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{{\"seq\":{},\"t_ms\":{:.3f}", sample.sequence,
                 static_cast<double>(sample.timeNs - startNs) * 1e-6);

  // power
  const PowerMonitor& power = sensors.power();
  out += ",\"power\":{\"total\":{";
  switch (power.totalKind()) {
    case PowerTotal::kNone: out += "\"kind\":\"none\""; break;
    case PowerTotal::kSumOfRails: out += "\"kind\":\"sum\""; break;
    case PowerTotal::kRail:
      out += "\"kind\":\"rail\",\"rail\":";
      appendJsonString(out, power.totalRail());
      break;
  }
  if (power.totalKind() != PowerTotal::kNone) {
    out += ',';
    appendState(out, "state", sample.total.state, 0);
    if (sample.total.state == ReadingState::kOk) {
      fmt::format_to(it, ",\"mw\":{},\"avg_mw\":{:.1f}", sample.total.milliwatts, window.totalMilliwatts.avg);
    }
  }
  fmt::format_to(it, "}},\"energy_mj\":{:.3f},\"rails\":[", sample.energyMillijoules);
  const auto rails = power.rails();
  for (std::size_t i = 0; i < rails.size(); ++i) {
    const RailReading& r = sample.rails[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    appendJsonString(out, rails[i].label);
    out += ',';
    appendState(out, "state", r.state, r.sysErrno);
    if (r.state == ReadingState::kOk) {
      fmt::format_to(it, ",\"mv\":{},\"ma\":{},\"mw\":{},\"avg_mw\":{:.1f}", r.millivolts, r.milliamps,
                     r.milliwatts, window.railMilliwatts[i].avg);
    }
    out += '}';
  }
  out += "]}";

  // thermal
  out += ",\"thermal\":[";
  const auto zones = sensors.thermal().zones();
  for (std::size_t i = 0; i < zones.size(); ++i) {
    const ZoneReading& z = sample.zones[i];
    if (i > 0) out += ',';
    out += "{\"type\":";
    appendJsonString(out, zones[i].type);
    if (!zones[i].zone.empty()) {
      out += ",\"zone\":";
      appendJsonString(out, zones[i].zone);
    }
    out += ',';
    appendState(out, "state", z.state, z.sysErrno);
    if (z.state == ReadingState::kOk) fmt::format_to(it, ",\"celsius\":{:.3f}", z.celsius());
    out += '}';
  }
  out += ']';

  // cpu
  out += ",\"cpu\":{";
  appendState(out, "state", sample.cpu.loadState, sample.cpu.sysErrno);
  if (sample.cpu.loadState == ReadingState::kOk) {
    fmt::format_to(it, ",\"load_pct\":{:.1f}", sample.cpu.loadPermille / 10.0);
  }
  out += ",\"cores\":[";
  const int cores = std::min(sensors.cpu().cores(), static_cast<int>(kMaxCpuCores));
  for (int n = 0; n < cores; ++n) {
    const CoreReading& c = sample.cpu.cores[static_cast<std::size_t>(n)];
    if (n > 0) out += ',';
    fmt::format_to(it, "{{\"core\":{},", n);
    appendState(out, "state", c.loadState, 0);
    if (c.loadState == ReadingState::kOk) fmt::format_to(it, ",\"load_pct\":{:.1f}", c.loadPermille / 10.0);
    out += ',';
    appendState(out, "freq_state", c.freqState, c.freqErrno);
    if (c.freqState == ReadingState::kOk) fmt::format_to(it, ",\"freq_khz\":{}", c.freqKhz);
    out += '}';
  }
  out += "]}";

  // gpu
  out += ",\"gpu\":{\"devfreq\":";
  const std::string_view node = sensors.gpu().devfreqNode();
  if (node.empty()) {
    out += "null";
  } else {
    appendJsonString(out, node);
  }
  out += ',';
  appendState(out, "load_state", sample.gpu.loadState, sample.gpu.loadErrno);
  if (sample.gpu.loadState == ReadingState::kOk) {
    fmt::format_to(it, ",\"load_pct\":{:.1f}", sample.gpu.loadPermille / 10.0);
  }
  out += ',';
  appendState(out, "freq_state", sample.gpu.freqState, sample.gpu.freqErrno);
  if (sample.gpu.freqState == ReadingState::kOk) {
    fmt::format_to(it, ",\"cur_hz\":{},\"min_hz\":{},\"max_hz\":{}", sample.gpu.curHz, sample.gpu.minHz,
                   sample.gpu.maxHz);
  }
  if (!sample.gpu.governorName().empty()) {
    out += ",\"governor\":";
    appendJsonString(out, sample.gpu.governorName());
  }
  if (openCl != nullptr) {
    fmt::format_to(it, ",\"opencl\":{{\"available\":{},\"detail\":", openCl->available);
    appendJsonString(out, openCl->detail);
    out += '}';
  }
  out += "}}";
  return out;
}

}  // namespace edgert::hal
