// The board file schema (documented in board/README.md) as TableReader calls.
#include "edgert/hal/board.hpp"

#include <algorithm>
#include <array>

#include "edgert/base/pixel_format_names.hpp"
#include "edgert/base/toml_schema.hpp"

namespace edgert::hal {

namespace {

constexpr std::array kArchNames{
    EnumName<Arch>{"aarch64", Arch::kAarch64},
    EnumName<Arch>{"x86_64", Arch::kX86_64},
    EnumName<Arch>{"any", Arch::kAny},
};

constexpr std::array kPowerSensorDriverNames{
    EnumName<PowerSensorDriver>{"ina3221", PowerSensorDriver::kIna3221Hwmon},
    EnumName<PowerSensorDriver>{"ina3221x", PowerSensorDriver::kIna3221Iio},
};

constexpr std::array kOpenClExpectationNames{
    EnumName<OpenClExpectation>{"expected", OpenClExpectation::kExpected},
    EnumName<OpenClExpectation>{"none", OpenClExpectation::kNone},
};

constexpr std::array kWatchdogModeNames{
    EnumName<WatchdogMode>{"systemd", WatchdogMode::kSystemd},
    EnumName<WatchdogMode>{"device", WatchdogMode::kDevice},
    EnumName<WatchdogMode>{"none", WatchdogMode::kNone},
};

constexpr IntRange kCoresRange{1, 256};
constexpr IntRange kBudgetMibRange{16, 65536};
constexpr IntRange kImageSideRange{16, 8192};
constexpr IntRange kFpsRange{1, 240};
constexpr IntRange kBuffersRange{2, 32};
constexpr IntRange kI2cBusRange{0, 255};
constexpr IntRange kI2cAddressRange{0x08, 0x77, /*hex=*/true};  // 7-bit, reserved ones excluded
constexpr IntRange kWatchdogTimeoutRange{1, 600};

constexpr int kDefaultCameraBuffers = 4;
constexpr int kDefaultWatchdogTimeoutSeconds = 30;
constexpr std::string_view kPowerTotalSum = "sum";

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool isDigits(std::string_view text) {
  return !text.empty() &&
         text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool isBoardName(std::string_view text) {
  return !text.empty() &&
         text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

// A name under a /dev/v4l/by-* directory: one path component.
bool isLinkName(std::string_view text) {
  return !text.empty() && text.find('/') == std::string_view::npos;
}

bool isCameraSource(std::string_view text) {
  if (text.empty()) return false;
  if (!startsWith(text, "/dev/")) return true;  // "synthetic" or a file path
  if (startsWith(text, "/dev/video")) return isDigits(text.substr(10));
  if (startsWith(text, "/dev/v4l/by-id/")) return isLinkName(text.substr(15));
  if (startsWith(text, "/dev/v4l/by-path/")) return isLinkName(text.substr(17));
  return false;
}

bool isDevicePath(std::string_view text) { return startsWith(text, "/dev/") && text.size() > 5; }

// A path below the sysfs root: relative, and never climbing out of it.
bool isSysfsRelativePath(std::string_view text) {
  return !text.empty() && text[0] != '/' && text.find("..") == std::string_view::npos;
}

constexpr StringRule kBoardNameRule{"a name of lower-case letters, digits and '-'", isBoardName};
constexpr StringRule kCameraSourceRule{
    "\"synthetic\", /dev/videoN, /dev/v4l/by-id/NAME, /dev/v4l/by-path/NAME or a file path",
    isCameraSource};
constexpr StringRule kDevicePathRule{"a device path under /dev/", isDevicePath};
constexpr StringRule kSysfsRelativePathRule{"a path relative to /sys without \"..\"",
                                            isSysfsRelativePath};

CameraSourceKind cameraSourceKind(std::string_view source) {
  if (source == "synthetic") return CameraSourceKind::kSynthetic;
  if (startsWith(source, "/dev/")) return CameraSourceKind::kV4l2Device;
  return CameraSourceKind::kFile;
}

int toInt(std::int64_t value) { return static_cast<int>(value); }  // ranges keep it small

std::string joinQuoted(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += ", ";
    text += fmt::format("\"{}\"", item);
  }
  return text;
}

void readIdentity(TableReader& table, Board& board) {
  board.name = table.requiredString("name", kBoardNameRule).value_or("");
  board.description = table.optionalString("description").value_or("");
  board.arch = table.requiredEnum("arch", kArchNames).value_or(Arch::kAny);
  board.soc = table.optionalString("soc", kNonEmptyString).value_or("");
  board.compatible = table.optionalStringArray("compatible", kNonEmptyString, Duplicates::kRejected)
                         .value_or(std::vector<std::string>{});
}

void readCpu(TableReader& table, Board::Cpu& cpu) {
  const std::optional<std::int64_t> cores = table.requiredInt("cores", kCoresRange);
  const std::optional<std::int64_t> threads = table.optionalInt("inference_threads", kCoresRange);
  cpu.cores = toInt(cores.value_or(1));
  cpu.inferenceThreads = toInt(threads.value_or(cpu.cores));
  if (cores && threads && *threads > *cores) {
    table.fail("inference_threads",
               fmt::format("expected at most cpu.cores ({}), found {}", *cores, *threads));
  }
}

void readMemory(TableReader& table, Board::Memory& memory) {
  memory.budgetMib = toInt(table.requiredInt("budget_mib", kBudgetMibRange).value_or(16));
  memory.lock = table.optionalBool("lock").value_or(false);
}

void readCamera(TableReader& table, Board::Camera& camera) {
  camera.source = table.requiredString("source", kCameraSourceRule).value_or("");
  camera.sourceKind = cameraSourceKind(camera.source);
  camera.width = toInt(table.requiredInt("width", kImageSideRange).value_or(0));
  camera.height = toInt(table.requiredInt("height", kImageSideRange).value_or(0));
  camera.fps = toInt(table.requiredInt("fps", kFpsRange).value_or(0));
  camera.format = table.requiredEnum("format", kPixelFormatNames).value_or(PixelFormat::kYuyv);
  camera.buffers =
      toInt(table.optionalInt("buffers", kBuffersRange).value_or(kDefaultCameraBuffers));
}

// One [[power.sensors]] entry; `earlier` are the entries before it, for the duplicate check.
void readPowerSensor(TableReader& table, std::size_t index,
                     const std::vector<Board::PowerSensor>& earlier,
                     Board::PowerSensor& sensor) {
  sensor.driver = table.requiredEnum("driver", kPowerSensorDriverNames)
                      .value_or(PowerSensorDriver::kIna3221Hwmon);
  const std::optional<std::int64_t> bus = table.requiredInt("i2c_bus", kI2cBusRange);
  const std::optional<std::int64_t> address = table.requiredInt("i2c_address", kI2cAddressRange);
  sensor.i2cBus = toInt(bus.value_or(-1));
  sensor.i2cAddress = toInt(address.value_or(-1));
  sensor.rails =
      table.optionalStringArray("rails", kNonEmptyString, Duplicates::kRejected).value_or(
          std::vector<std::string>{});
  if (const toml::node* rails = table.rawNode("rails");
      rails != nullptr && rails->is_array() && rails->as_array()->empty()) {
    table.fail("rails",
               "expected at least one rail label, found an empty array (leave rails out to "
               "report every channel not labelled NC)");
  }
  if (!bus || !address) return;
  for (std::size_t i = 0; i < index && i < earlier.size(); ++i) {
    if (earlier[i].i2cBus == sensor.i2cBus && earlier[i].i2cAddress == sensor.i2cAddress) {
      table.fail("i2c_address",
                 fmt::format("duplicate sensor {}-{:04x} (bus {}, address {:#04x}), first "
                             "listed as power.sensors[{}]",
                             sensor.i2cBus, sensor.i2cAddress, sensor.i2cBus,
                             sensor.i2cAddress, i));
      break;
    }
  }
}

void readPower(TableReader& table, Board::Power& power) {
  table.optionalTableArray("sensors", [&](TableReader& entry, std::size_t index) {
    Board::PowerSensor sensor;
    readPowerSensor(entry, index, power.sensors, sensor);
    power.sensors.push_back(std::move(sensor));
  });
  const bool hasTotal = table.has("total");
  const std::optional<std::string> total = table.optionalString("total", kNonEmptyString);

  // Sensors that are not an array, or an entry that is not a table, were reported; without
  // them there is nothing to check the total against.
  if (const toml::node* written = table.rawNode("sensors"); written != nullptr) {
    const toml::array* entries = written->as_array();
    if (entries == nullptr || entries->size() != power.sensors.size()) return;
  }
  if (power.sensors.empty()) {
    if (total) {
      table.fail("total", fmt::format("expected no total without power.sensors, found \"{}\"",
                                      *total));
    }
    return;
  }
  if (!hasTotal) {
    table.failMissing("total",
                      "missing required key when power.sensors lists sensors, expected \"sum\" "
                      "or the label of a listed rail");
    return;
  }
  if (!total) return;  // the getter reported it
  if (*total == kPowerTotalSum) {
    power.total = PowerTotal::kSumOfRails;
    return;
  }
  power.total = PowerTotal::kRail;
  power.totalRail = *total;
  // A sensor without a rails list reports every channel, whose labels only the device
  // knows; the runtime checks the total against them when it finds the sensors.
  std::vector<std::string> listed;
  for (const Board::PowerSensor& sensor : power.sensors) {
    if (sensor.rails.empty()) return;
    listed.insert(listed.end(), sensor.rails.begin(), sensor.rails.end());
  }
  if (std::find(listed.begin(), listed.end(), *total) == listed.end()) {
    table.fail("total", fmt::format("expected \"sum\" or one of the listed rails ({}), found \"{}\"",
                                    joinQuoted(listed), *total));
  }
}

void readGpu(TableReader& table, Board::Gpu& gpu) {
  gpu.devfreqNames =
      table.requiredStringArray("devfreq_names", kNonEmptyString, Duplicates::kRejected)
          .value_or(std::vector<std::string>{});
  const std::optional<OpenClExpectation> opencl =
      table.requiredEnum("opencl", kOpenClExpectationNames);
  gpu.opencl = opencl.value_or(OpenClExpectation::kNone);
  const bool hasNote = table.has("opencl_note");
  gpu.openclNote = table.optionalString("opencl_note", kNonEmptyString).value_or("");
  if (opencl == OpenClExpectation::kNone && !hasNote) {
    table.failMissing("opencl_note",
                      "missing required key when gpu.opencl = \"none\", expected a non-empty "
                      "string saying why");
  }
  gpu.drmDrivers =
      table.optionalStringArray("drm_drivers", kNonEmptyString, Duplicates::kRejected)
          .value_or(std::vector<std::string>{});
  gpu.loadFile = table.optionalString("load_file", kSysfsRelativePathRule).value_or("");
}

void readThermal(TableReader& table, Board::Thermal& thermal) {
  thermal.zones = table.requiredStringArray("zones", kNonEmptyString, Duplicates::kRejected)
                      .value_or(std::vector<std::string>{});
  thermal.ignore = table.optionalStringArray("ignore", kNonEmptyString, Duplicates::kRejected)
                       .value_or(std::vector<std::string>{});
  for (const std::string& ignored : thermal.ignore) {
    if (std::find(thermal.zones.begin(), thermal.zones.end(), ignored) != thermal.zones.end()) {
      table.fail("ignore", fmt::format("expected zone types not in thermal.zones, found \"{}\" "
                                       "in both",
                                       ignored));
      break;
    }
  }
}

void readWatchdog(TableReader& table, Board::Watchdog& watchdog) {
  const std::optional<WatchdogMode> mode = table.requiredEnum("mode", kWatchdogModeNames);
  watchdog.mode = mode.value_or(WatchdogMode::kNone);
  const bool hasDevice = table.has("device");
  const std::optional<std::string> device = table.optionalString("device", kDevicePathRule);
  watchdog.timeoutSeconds = toInt(table.optionalInt("timeout_s", kWatchdogTimeoutRange)
                                      .value_or(kDefaultWatchdogTimeoutSeconds));
  if (!mode) return;
  if (*mode == WatchdogMode::kDevice) {
    if (!hasDevice) {
      table.failMissing("device",
                        "missing required key when watchdog.mode = \"device\", expected a "
                        "device path under /dev/");
    }
    watchdog.device = device.value_or("");
  } else if (device) {
    table.fail("device", fmt::format("expected no device when watchdog.mode = \"{}\", found \"{}\"",
                                     watchdogModeName(*mode), *device));
  }
}

Result<Board> readBoard(const toml::table& document, std::string_view sourceName) {
  Board board;
  EDGERT_TRY(readSchema(document, sourceName, [&](TableReader& root) {
    root.requiredTable("board", [&](TableReader& table) { readIdentity(table, board); });
    root.requiredTable("cpu", [&](TableReader& table) { readCpu(table, board.cpu); });
    root.requiredTable("memory", [&](TableReader& table) { readMemory(table, board.memory); });
    root.requiredTable("camera", [&](TableReader& table) { readCamera(table, board.camera); });
    root.optionalTable("power", [&](TableReader& table) { readPower(table, board.power); });
    root.requiredTable("gpu", [&](TableReader& table) { readGpu(table, board.gpu); });
    root.requiredTable("thermal", [&](TableReader& table) { readThermal(table, board.thermal); });
    root.requiredTable("watchdog",
                       [&](TableReader& table) { readWatchdog(table, board.watchdog); });
  }));
  return board;
}

}  // namespace

Result<Board> parseBoard(std::string_view tomlText, std::string_view sourceName) {
  EDGERT_ASSIGN_OR_RETURN(const toml::table document, parseToml(tomlText, sourceName));
  return readBoard(document, sourceName);
}

Result<Board> loadBoardFile(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(const toml::table document, parseTomlFile(path));
  return readBoard(document, path);
}

Result<Board> loadDefaultBoard() { return parseBoard(kHostSimBoardToml, kHostSimBoardSourceName); }

std::string_view archName(Arch arch) { return enumNameOf(kArchNames, arch); }
std::string_view powerSensorDriverName(PowerSensorDriver driver) {
  return enumNameOf(kPowerSensorDriverNames, driver);
}
std::string_view openClExpectationName(OpenClExpectation expectation) {
  return enumNameOf(kOpenClExpectationNames, expectation);
}
std::string_view watchdogModeName(WatchdogMode mode) {
  return enumNameOf(kWatchdogModeNames, mode);
}

}  // namespace edgert::hal
