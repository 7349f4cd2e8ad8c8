// Board descriptions: what edgert needs to know about a device, loaded from board/*.toml.
//
// Everything that differs between boards (power sensors, GPU names, thermal zones, camera
// defaults, memory budget) lives in a board file, never in code. A board file is validated
// completely when loaded; board/README.md documents the schema key by key, and the structs
// below mirror it ([cpu] -> Board::cpu, inference_threads -> inferenceThreads).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgert/base/image.hpp"
#include "edgert/base/result.hpp"

namespace edgert::hal {

// board/host-sim.toml, embedded into the library by CMake (see hal/CMakeLists.txt).
extern const char kHostSimBoardToml[];
// The name loadDefaultBoard() gives the embedded text in messages.
inline constexpr std::string_view kHostSimBoardSourceName = "board/host-sim.toml (embedded)";

// The instruction set a board file is written for. kAny: the description fits whatever
// target the binary was built for (host-sim).
enum class Arch : std::uint8_t { kAny, kAarch64, kX86_64 };

enum class CameraSourceKind : std::uint8_t {
  kSynthetic,   // "synthetic": generated test frames, no device
  kV4l2Device,  // /dev/videoN, /dev/v4l/by-id/NAME or /dev/v4l/by-path/NAME
  kFile,        // any other path: frames read from a file
};

using ::edgert::PixelFormat;  // edgert/base/image.hpp

enum class PowerSensorDriver : std::uint8_t {
  kIna3221Hwmon,  // "ina3221": /sys/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/hwmon*/
  kIna3221Iio,    // "ina3221x": /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:device*/
};

enum class PowerTotal : std::uint8_t {
  kNone,        // no power sensors: no power readings
  kRail,        // one rail measures the whole board (Board::Power::totalRail)
  kSumOfRails,  // "sum": the total is the sum of the reported rails
};

// Whether an OpenCL driver should exist on the board.
enum class OpenClExpectation : std::uint8_t { kExpected, kNone };

enum class WatchdogMode : std::uint8_t {
  kSystemd,  // sd_notify WATCHDOG=1 pings under the service's WatchdogSec=
  kDevice,   // a /dev/watchdog* device opened and pinged by edgert itself
  kNone,
};

struct Board {
  struct Cpu {
    int cores = 1;
    int inferenceThreads = 1;  // <= cores
    bool operator==(const Cpu&) const = default;
  };

  struct Memory {
    int budgetMib = 16;  // the static memory budget edgert may reserve, in MiB
    bool lock = false;   // mlock the budget
    bool operator==(const Memory&) const = default;
  };

  struct Camera {
    std::string source;  // "synthetic", a V4L2 device path or a file path
    CameraSourceKind sourceKind = CameraSourceKind::kSynthetic;
    int width = 0;
    int height = 0;
    int fps = 0;
    PixelFormat format = PixelFormat::kYuyv;
    int buffers = 4;
    bool operator==(const Camera&) const = default;
  };

  struct PowerSensor {
    PowerSensorDriver driver = PowerSensorDriver::kIna3221Hwmon;
    int i2cBus = 0;
    int i2cAddress = 0;
    std::vector<std::string> rails;  // labels to report; empty: every channel not labelled NC
    bool operator==(const PowerSensor&) const = default;
  };

  struct Power {
    std::vector<PowerSensor> sensors;
    PowerTotal total = PowerTotal::kNone;
    std::string totalRail;  // the rail label when total == PowerTotal::kRail
    bool operator==(const Power&) const = default;
  };

  struct Gpu {
    std::vector<std::string> devfreqNames;  // of_node names of the GPU's devfreq device
    OpenClExpectation opencl = OpenClExpectation::kNone;
    std::string openclNote;                 // why, when opencl == kNone; may be empty otherwise
    std::vector<std::string> drmDrivers;    // DRM driver names expected on the board
    // The GPU load file relative to the sysfs root ("devices/gpu.0/load"); empty: `load` in
    // the devfreq node's device directory.
    std::string loadFile;
    bool operator==(const Gpu&) const = default;
  };

  struct Thermal {
    std::vector<std::string> zones;   // zone types to report; empty: every zone not ignored
    std::vector<std::string> ignore;  // zone types never reported (bogus sensors)
    bool operator==(const Thermal&) const = default;
  };

  struct Watchdog {
    WatchdogMode mode = WatchdogMode::kNone;
    std::string device;  // the device path when mode == kDevice, else empty
    int timeoutSeconds = 30;
    bool operator==(const Watchdog&) const = default;
  };

  // [board]
  std::string name;
  std::string description;
  Arch arch = Arch::kAny;
  std::string soc;
  // Device-tree compatible strings of the devices this file describes ("nvidia,p3767-0005"):
  // `service.board = "auto"` picks the board file one of whose strings the running device's
  // /proc/device-tree/compatible lists (detectBoardFile()).
  std::vector<std::string> compatible;

  Cpu cpu;
  Memory memory;
  Camera camera;
  Power power;
  Gpu gpu;
  Thermal thermal;
  Watchdog watchdog;

  bool operator==(const Board&) const = default;
};

// Parses and validates a board description. `sourceName` names it in messages
// ("board/orin.toml:12:5: ..."). Errors: Errc::kParse for TOML syntax, Errc::kSchema for
// everything the schema rejects, all problems of the file in one message, one per line.
Result<Board> parseBoard(std::string_view tomlText, std::string_view sourceName);

// Reads and validates a board file; messages name it by `path` as given. Errc::kNotFound
// when the file does not exist.
Result<Board> loadBoardFile(const std::string& path);

// The embedded host-sim description, for hosts without a board file.
Result<Board> loadDefaultBoard();

// Where detectBoardFile() looks: the installed board files and the running device's
// device-tree compatible list (NUL-separated, most specific first).
struct BoardSearch {
  std::string boardsDir;       // *.toml, each validated when read
  std::string compatibleFile;  // /proc/device-tree/compatible
};
// The installed layout: <dir of /proc/self/exe>/../share/edgert/boards (/usr/bin/edgert ->
// /usr/share/edgert/boards) and /proc/device-tree/compatible.
BoardSearch installedBoardSearch();
// The board file that describes this device: among the files whose `board.compatible`
// lists one of the device's compatible strings, the one matching the most specific of
// them (the earliest; ties go to the first file by name). std::nullopt when the device
// has no device tree (x86 hosts, QEMU's virt without one) or no file matches. Board files
// that fail validation are skipped and named in `skipped` ("path: why"); a missing
// directory is an error (Errc::kNotFound) naming it.
Result<std::optional<std::string>> detectBoardFile(const BoardSearch& search,
                                                   std::vector<std::string>* skipped = nullptr);

// A readable multi-line description; the first line is "board: <name>".
std::string formatBoard(const Board& board);

// The names board files use ("aarch64", "YUYV", "ina3221x", ...).
std::string_view archName(Arch arch);
std::string_view powerSensorDriverName(PowerSensorDriver driver);
std::string_view openClExpectationName(OpenClExpectation expectation);
std::string_view watchdogModeName(WatchdogMode mode);

}  // namespace edgert::hal
