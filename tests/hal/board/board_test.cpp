#include "edgert/hal/board.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <unistd.h>
#include <set>

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;

const std::string kMalformedDir = std::string(EDGERT_TEST_DATA_DIR) + "/hal/board/malformed";

// A valid board for the tests that edit one thing; `power` and `extra` are spliced in.
std::string boardText(std::string_view power = "", std::string_view watchdog = "mode = \"none\"",
                      std::string_view thermal = "zones = []") {
  return fmt::format(R"([board]
name = "inline"
arch = "x86_64"

[cpu]
cores = 4

[memory]
budget_mib = 64

[camera]
source = "synthetic"
width = 320
height = 240
fps = 15
format = "GREY"

{}
[gpu]
devfreq_names = []
opencl = "expected"

[thermal]
{}

[watchdog]
{}
)",
                     power, thermal, watchdog);
}

// ---------------------------------------------------------------------------------------
// Malformed files: the exact message for each, file name and position included.

struct Malformed {
  std::string_view file;  // in tests/hal/board/malformed/
  Errc code;
  // The message's lines, each without the "<path>:" prefix every line starts with.
  std::vector<std::string_view> lines;
};

const std::vector<Malformed>& malformedFiles() {
  static const std::vector<Malformed> kFiles = {
      {"unknown_key_top.toml",
       Errc::kSchema,
       {"1:1: watchdog: missing required table",
        "38:2: watchdgo: unknown key (did you mean watchdog?), expected one of: board, cpu, "
        "memory, camera, power, gpu, thermal, watchdog"}},
      {"unknown_key_nested.toml",
       Errc::kSchema,
       {"9:1: cpu.inference_thread: unknown key (did you mean inference_threads?), expected "
        "one of: cores, inference_threads"}},
      {"wrong_type.toml",
       Errc::kSchema,
       {R"(9:9: cpu.cores: expected an integer in 1..256, found "4")"}},
      {"out_of_range.toml",
       Errc::kSchema,
       {"11:14: memory.budget_mib: expected an integer in 16..65536, found 8"}},
      {"negative_unsigned.toml",
       Errc::kSchema,
       {"25:11: power.sensors[0].i2c_bus: expected an integer in 0..255, found -1"}},
      {"bad_enum.toml",
       Errc::kSchema,
       {R"(18:10: camera.format: expected one of "YUYV", "NV12", "GREY", "RGB24", "MJPEG", found "yuyv")"}},
      {"missing_key.toml",
       Errc::kSchema,
       {"13:1: camera.fps: missing required key, expected an integer in 1..240"}},
      {"missing_table.toml", Errc::kSchema, {"1:1: memory: missing required table"}},
      {"duplicate_key.toml",
       Errc::kParse,
       {"9:9: Error while parsing key-value pair: cannot redefine existing integer 'cores'"}},
      {"syntax_error.toml",
       Errc::kParse,
       {R"(14:8: Error while parsing table header: expected ']', saw '\n')"}},
      {"array_element_type.toml",
       Errc::kSchema,
       {"35:25: thermal.zones[1]: expected a non-empty string, found 7"}},
      {"duplicate_zone.toml",
       Errc::kSchema,
       {R"(35:40: thermal.zones[2]: duplicate "cpu-thermal", first listed as thermal.zones[0])"}},
      {"sensor_bad_field.toml",
       Errc::kSchema,
       {R"(32:15: power.sensors[1].i2c_address: expected an integer in 0x08..0x77, found "0x41")"}},
      {"i2c_address_range.toml",
       Errc::kSchema,
       {"26:15: power.sensors[0].i2c_address: expected an integer in 0x08..0x77, found 0x80"}},
      {"empty.toml",
       Errc::kSchema,
       {"1:1: board: missing required table", "1:1: cpu: missing required table",
        "1:1: memory: missing required table", "1:1: camera: missing required table",
        "1:1: gpu: missing required table", "1:1: thermal: missing required table",
        "1:1: watchdog: missing required table"}},
      {"several_errors.toml",
       Errc::kSchema,
       {R"(5:8: board.arch: expected one of "aarch64", "x86_64", "any", found "arm64")",
        "7:1: cpu.cores: missing required key, expected an integer in 1..256",
        "11:1: memory.swap_mib: unknown key, expected one of: budget_mib, lock",
        "17:7: camera.fps: expected an integer in 1..240, found 0",
        R"(39:13: watchdog.timeout_s: expected an integer in 1..600, found "30s")"}},
      {"threads_exceed_cores.toml",
       Errc::kSchema,
       {"9:21: cpu.inference_threads: expected at most cpu.cores (4), found 8"}},
      {"watchdog_device_missing.toml",
       Errc::kSchema,
       {R"(37:1: watchdog.device: missing required key when watchdog.mode = "device", expected a device path under /dev/)"}},
      {"power_total_not_listed.toml",
       Errc::kSchema,
       {R"(21:9: power.total: expected "sum" or one of the listed rails ("VDD_IN", "VDD_SOC"), found "VDD_GPU")"}},
      {"duplicate_sensor.toml",
       Errc::kSchema,
       {"32:15: power.sensors[1].i2c_address: duplicate sensor 1-0040 (bus 1, address 0x40), "
        "first listed as power.sensors[0]"}},
      {"bad_board_name.toml",
       Errc::kSchema,
       {R"(4:8: board.name: expected a name of lower-case letters, digits and '-', found "Test Board")"}},
      {"table_wrong_type.toml",
       Errc::kSchema,
       {R"(3:10: camera: expected a table, found "/dev/video0")"}},
      {"sensors_not_array.toml",
       Errc::kSchema,
       {"23:1: power.sensors: expected an array of tables, found a table"}},
      {"camera_bad_device.toml",
       Errc::kSchema,
       {R"(14:10: camera.source: expected "synthetic", /dev/videoN, /dev/v4l/by-id/NAME, /dev/v4l/by-path/NAME or a file path, found "/dev/vid0")"}},
      {"opencl_note_missing.toml",
       Errc::kSchema,
       {R"(29:1: gpu.opencl_note: missing required key when gpu.opencl = "none", expected a non-empty string saying why)"}},
  };
  return kFiles;
}

TEST(BoardMalformed, EachFileFailsWithItsExactMessage) {
  for (const Malformed& malformed : malformedFiles()) {
    SCOPED_TRACE(malformed.file);
    const std::string path = fmt::format("{}/{}", kMalformedDir, malformed.file);
    const Result<Board> board = loadBoardFile(path);
    ASSERT_FALSE(board) << "loaded without error";
    EXPECT_EQ(errcName(board.error().code()), errcName(malformed.code));
    std::string expected;
    for (const std::string_view line : malformed.lines) {
      if (!expected.empty()) expected += '\n';
      expected += fmt::format("{}:{}", path, line);
    }
    EXPECT_EQ(board.error().message(), expected);
  }
}

TEST(BoardMalformed, EveryFileInTheDirectoryHasAnExpectation) {
  std::set<std::string> expected;
  for (const Malformed& malformed : malformedFiles()) expected.emplace(malformed.file);
  std::set<std::string> present;
  for (const fs::directory_entry& entry : fs::directory_iterator(kMalformedDir)) {
    if (entry.path().extension() == ".toml") present.insert(entry.path().filename().string());
  }
  EXPECT_EQ(present, expected);
  EXPECT_GE(present.size(), 12U);
  EXPECT_EQ(present.count("wrong_type.toml"), 1U) << "the CLI test board_bad_file_fails uses it";
}

// ---------------------------------------------------------------------------------------
// The shipped board files.

TEST(BoardFiles, EveryBoardFileLoadsAndIsNamedAfterItsFile) {
  const fs::path boardDir = fs::path(EDGERT_SOURCE_DIR) / "board";
  int count = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(boardDir)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    const Result<Board> board = loadBoardFile(entry.path().string());
    ASSERT_TRUE(board) << board.error().message();
    EXPECT_EQ(board->name, entry.path().stem().string());
    EXPECT_EQ(formatBoard(*board).substr(0, 7 + board->name.size() + 1),
              "board: " + board->name + "\n");
    ++count;
  }
  EXPECT_GE(count, 2);
}

TEST(BoardFiles, EmbeddedDefaultEqualsTheHostSimFile) {
  const Result<Board> embedded = loadDefaultBoard();
  ASSERT_TRUE(embedded) << embedded.error().message();
  const Result<Board> file = loadBoardFile(std::string(EDGERT_SOURCE_DIR) + "/board/host-sim.toml");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_TRUE(*embedded == *file);
  EXPECT_EQ(formatBoard(*embedded), formatBoard(*file));
}

TEST(BoardFiles, HostSim) {
  const Result<Board> board = loadDefaultBoard();
  ASSERT_TRUE(board) << board.error().message();
  EXPECT_EQ(board->name, "host-sim");
  EXPECT_EQ(board->arch, Arch::kAny);
  EXPECT_EQ(board->camera.source, "synthetic");
  EXPECT_EQ(board->camera.sourceKind, CameraSourceKind::kSynthetic);
  EXPECT_EQ(board->camera.width, 640);
  EXPECT_EQ(board->camera.height, 480);
  EXPECT_EQ(board->camera.fps, 30);
  EXPECT_EQ(board->camera.format, PixelFormat::kYuyv);
  EXPECT_TRUE(board->power.sensors.empty());
  EXPECT_EQ(board->power.total, PowerTotal::kNone);
  EXPECT_EQ(board->gpu.opencl, OpenClExpectation::kExpected);
  EXPECT_EQ(board->watchdog.mode, WatchdogMode::kSystemd);
}

TEST(BoardFiles, JetsonOrinNano) {
  const Result<Board> board =
      loadBoardFile(std::string(EDGERT_SOURCE_DIR) + "/board/jetson-orin-nano.toml");
  ASSERT_TRUE(board) << board.error().message();
  EXPECT_EQ(board->arch, Arch::kAarch64);
  EXPECT_EQ(board->cpu.cores, 6);
  ASSERT_EQ(board->power.sensors.size(), 1U);
  const Board::PowerSensor& sensor = board->power.sensors[0];
  EXPECT_EQ(sensor.driver, PowerSensorDriver::kIna3221Hwmon);
  EXPECT_EQ(sensor.i2cBus, 1);
  EXPECT_EQ(sensor.i2cAddress, 0x40);
  EXPECT_EQ(sensor.rails, (std::vector<std::string>{"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  EXPECT_EQ(board->power.total, PowerTotal::kRail);
  EXPECT_EQ(board->power.totalRail, "VDD_IN");
  EXPECT_EQ(board->gpu.opencl, OpenClExpectation::kNone);
  EXPECT_FALSE(board->gpu.openclNote.empty());
  EXPECT_NE(std::find(board->gpu.devfreqNames.begin(), board->gpu.devfreqNames.end(), "gpu"),
            board->gpu.devfreqNames.end());
  EXPECT_NE(std::find(board->thermal.zones.begin(), board->thermal.zones.end(), "tj-thermal"),
            board->thermal.zones.end());
}

TEST(BoardFiles, MissingFileIsNotFound) {
  const Result<Board> board = loadBoardFile("board/no-such-board.toml");
  ASSERT_FALSE(board);
  EXPECT_EQ(board.error().code(), Errc::kNotFound);
  EXPECT_EQ(board.error().message(), "open board/no-such-board.toml: No such file or directory");
}

// ---------------------------------------------------------------------------------------
// Schema details, on text built in the test.

TEST(BoardSchema, DefaultsOfOptionalKeys) {
  const Result<Board> board = parseBoard(boardText(), "inline.toml");
  ASSERT_TRUE(board) << board.error().message();
  EXPECT_EQ(board->description, "");
  EXPECT_EQ(board->soc, "");
  EXPECT_EQ(board->cpu.inferenceThreads, 4);  // = cores
  EXPECT_FALSE(board->memory.lock);
  EXPECT_EQ(board->camera.buffers, 4);
  EXPECT_TRUE(board->power.sensors.empty());
  EXPECT_TRUE(board->gpu.drmDrivers.empty());
  EXPECT_TRUE(board->thermal.ignore.empty());
  EXPECT_EQ(board->watchdog.mode, WatchdogMode::kNone);
  EXPECT_EQ(board->watchdog.timeoutSeconds, 30);
}

TEST(BoardSchema, MessagesUseTheSourceName) {
  const Result<Board> board = parseBoard("[board]\nname = 5\n", "somewhere.toml");
  ASSERT_FALSE(board);
  EXPECT_EQ(board.error().code(), Errc::kSchema);
  EXPECT_EQ(board.error().message(),
            "somewhere.toml:1:1: board.arch: missing required key, expected one of \"aarch64\", "
            "\"x86_64\", \"any\"\n"
            "somewhere.toml:1:1: cpu: missing required table\n"
            "somewhere.toml:1:1: memory: missing required table\n"
            "somewhere.toml:1:1: camera: missing required table\n"
            "somewhere.toml:1:1: gpu: missing required table\n"
            "somewhere.toml:1:1: thermal: missing required table\n"
            "somewhere.toml:1:1: watchdog: missing required table\n"
            "somewhere.toml:2:8: board.name: expected a name of lower-case letters, digits and "
            "'-', found 5");
}

TEST(BoardSchema, CameraSourceKinds) {
  const std::pair<std::string_view, CameraSourceKind> kSources[] = {
      {"synthetic", CameraSourceKind::kSynthetic},
      {"/dev/video2", CameraSourceKind::kV4l2Device},
      {"/dev/v4l/by-id/usb-046d_C920-video-index0", CameraSourceKind::kV4l2Device},
      {"/dev/v4l/by-path/platform-3610000.usb-usb-0:2:1.0-video-index0",
       CameraSourceKind::kV4l2Device},
      {"clips/street.yuv", CameraSourceKind::kFile},
  };
  for (const auto& [source, kind] : kSources) {
    std::string text = boardText();
    text.replace(text.find("\"synthetic\""), 11, fmt::format("\"{}\"", source));
    const Result<Board> board = parseBoard(text, "inline.toml");
    ASSERT_TRUE(board) << board.error().message();
    EXPECT_EQ(board->camera.source, source);
    EXPECT_EQ(board->camera.sourceKind, kind) << source;
  }
  for (const std::string_view bad : {"", "/dev/video", "/dev/videoX", "/dev/v4l/by-id/",
                                     "/dev/v4l/by-id/a/b", "/dev/sda"}) {
    std::string text = boardText();
    text.replace(text.find("\"synthetic\""), 11, fmt::format("\"{}\"", bad));
    EXPECT_FALSE(parseBoard(text, "inline.toml")) << bad;
  }
}

TEST(BoardSchema, PowerTotalAsSumAndWithUnlistedRails) {
  const Result<Board> sum = parseBoard(boardText(R"([power]
total = "sum"
[[power.sensors]]
driver = "ina3221"
i2c_bus = 1
i2c_address = 0x40
[[power.sensors]]
driver = "ina3221"
i2c_bus = 1
i2c_address = 0x41
rails = ["VDDQ_VDD2_1V8AO"]
)"),
                                       "inline.toml");
  ASSERT_TRUE(sum) << sum.error().message();
  EXPECT_EQ(sum->power.total, PowerTotal::kSumOfRails);
  ASSERT_EQ(sum->power.sensors.size(), 2U);
  EXPECT_TRUE(sum->power.sensors[0].rails.empty());  // every channel not labelled NC

  // A sensor that lists no rails reports labels only the device knows: any total goes.
  const Result<Board> rail = parseBoard(boardText(R"([power]
total = "POM_5V_IN"
[[power.sensors]]
driver = "ina3221x"
i2c_bus = 6
i2c_address = 0x40
)"),
                                        "inline.toml");
  ASSERT_TRUE(rail) << rail.error().message();
  EXPECT_EQ(rail->power.total, PowerTotal::kRail);
  EXPECT_EQ(rail->power.totalRail, "POM_5V_IN");
  EXPECT_EQ(rail->power.sensors[0].driver, PowerSensorDriver::kIna3221Iio);

  // An empty [power] is the same as none.
  const Result<Board> empty = parseBoard(boardText("[power]\n"), "inline.toml");
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->power.total, PowerTotal::kNone);
}

TEST(BoardSchema, PowerRules) {
  const Result<Board> noTotal = parseBoard(boardText(R"([power]
[[power.sensors]]
driver = "ina3221"
i2c_bus = 1
i2c_address = 0x40
rails = []
)"),
                                           "p.toml");
  ASSERT_FALSE(noTotal);
  EXPECT_EQ(noTotal.error().message(),
            "p.toml:18:1: power.total: missing required key when power.sensors lists sensors, "
            "expected \"sum\" or the label of a listed rail\n"
            "p.toml:23:9: power.sensors[0].rails: expected at least one rail label, found an "
            "empty array (leave rails out to report every channel not labelled NC)");

  const Result<Board> totalWithoutSensors =
      parseBoard(boardText("[power]\ntotal = \"sum\"\n"), "p.toml");
  ASSERT_FALSE(totalWithoutSensors);
  EXPECT_EQ(totalWithoutSensors.error().message(),
            "p.toml:19:9: power.total: expected no total without power.sensors, found \"sum\"");

  const Result<Board> badEntry =
      parseBoard(boardText("[power]\ntotal = \"sum\"\nsensors = [5]\n"), "p.toml");
  ASSERT_FALSE(badEntry);
  EXPECT_EQ(badEntry.error().message(),
            "p.toml:20:12: power.sensors[0]: expected a table, found 5");
}

TEST(BoardSchema, WatchdogRules) {
  const Result<Board> device =
      parseBoard(boardText("", "mode = \"device\"\ndevice = \"/dev/watchdog0\"\ntimeout_s = 60"),
                 "w.toml");
  ASSERT_TRUE(device) << device.error().message();
  EXPECT_EQ(device->watchdog.mode, WatchdogMode::kDevice);
  EXPECT_EQ(device->watchdog.device, "/dev/watchdog0");
  EXPECT_EQ(device->watchdog.timeoutSeconds, 60);

  const Result<Board> stray =
      parseBoard(boardText("", "mode = \"systemd\"\ndevice = \"/dev/watchdog0\""), "w.toml");
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().message(),
            "w.toml:28:10: watchdog.device: expected no device when watchdog.mode = "
            "\"systemd\", found \"/dev/watchdog0\"");

  const Result<Board> notDev =
      parseBoard(boardText("", "mode = \"device\"\ndevice = \"watchdog0\""), "w.toml");
  ASSERT_FALSE(notDev);
  EXPECT_EQ(notDev.error().message(),
            "w.toml:28:10: watchdog.device: expected a device path under /dev/, found "
            "\"watchdog0\"");
}

TEST(BoardSchema, ThermalZoneCannotBeBothReportedAndIgnored) {
  const Result<Board> board = parseBoard(
      boardText("", "mode = \"none\"", "zones = [\"CPU-therm\", \"PMIC-Die\"]\nignore = [\"PMIC-Die\"]"),
      "t.toml");
  ASSERT_FALSE(board);
  EXPECT_EQ(board.error().message(),
            "t.toml:25:10: thermal.ignore: expected zone types not in thermal.zones, found "
            "\"PMIC-Die\" in both");
}

// ---------------------------------------------------------------------------------------
// formatBoard

TEST(BoardFormat, FirstLineNamesTheBoard) {
  const Result<Board> board = loadDefaultBoard();
  ASSERT_TRUE(board) << board.error().message();
  const std::string text = formatBoard(*board);
  EXPECT_EQ(text.substr(0, text.find('\n')), "board: host-sim");
}

TEST(BoardFormat, DescribesEverySection) {
  const Result<Board> board = parseBoard(boardText(R"([power]
total = "VDD_IN"
[[power.sensors]]
driver = "ina3221"
i2c_bus = 1
i2c_address = 0x40
rails = ["VDD_IN", "VDD_SOC"]
)",
                                                   "mode = \"device\"\ndevice = \"/dev/watchdog0\"",
                                                   "zones = [\"cpu-thermal\"]\nignore = [\"PMIC-Die\"]"),
                                         "f.toml");
  ASSERT_TRUE(board) << board.error().message();
  EXPECT_EQ(formatBoard(*board),
            "board: inline\n"
            "  arch: x86_64\n"
            "cpu: 4 cores, 4 for inference\n"
            "memory: budget 64 MiB, not locked\n"
            "camera: synthetic (generated frames), 320x240 GREY at 15 fps, 4 buffers\n"
            "power:\n"
            "  sensor 1-0040: ina3221 (hwmon), i2c bus 1, address 0x40, rails: VDD_IN, VDD_SOC\n"
            "  total: rail VDD_IN\n"
            "gpu:\n"
            "  devfreq names: none (no devfreq GPU)\n"
            "  OpenCL: expected\n"
            "  DRM drivers: none listed\n"
            "thermal:\n"
            "  zones: cpu-thermal\n"
            "  ignore: PMIC-Die\n"
            "watchdog: device /dev/watchdog0, timeout 30 s\n");
}

TEST(BoardFormat, EnumNames) {
  EXPECT_EQ(archName(Arch::kAarch64), "aarch64");
  EXPECT_EQ(archName(Arch::kX86_64), "x86_64");
  EXPECT_EQ(archName(Arch::kAny), "any");
  EXPECT_EQ(pixelFormatName(PixelFormat::kMjpeg), "MJPEG");
  EXPECT_EQ(powerSensorDriverName(PowerSensorDriver::kIna3221Iio), "ina3221x");
  EXPECT_EQ(openClExpectationName(OpenClExpectation::kNone), "none");
  EXPECT_EQ(watchdogModeName(WatchdogMode::kDevice), "device");
}

}  // namespace
}  // namespace edgert::hal

namespace edgert::hal {

namespace {

// A device-tree compatible property as the kernel exposes it: NUL-separated strings.
namespace fs = std::filesystem;

fs::path writeCompatible(const fs::path& dir, std::initializer_list<std::string_view> strings) {
  fs::create_directories(dir);
  const fs::path file = dir / "compatible";
  std::ofstream out(file, std::ios::binary);
  for (std::string_view s : strings) out << s << '\0';
  return file;
}

fs::path scratchDir(const char* name) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("edgert-{}-{}", name, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

// service.board = "auto": the installed file whose compatible list holds the most specific
// of the device's strings.
TEST(BoardDetect, PicksTheBoardFileTheDeviceTreeNames) {
  const fs::path dir = scratchDir("detect");
  const std::string boards = std::string(EDGERT_SOURCE_DIR) + "/board";
  struct Case {
    std::initializer_list<std::string_view> device;
    const char* expected;
  };
  const Case cases[] = {
      {{"nvidia,p3768-0000+p3767-0005", "nvidia,p3767-0005", "nvidia,tegra234"}, "jetson-orin-nano.toml"},
      {{"nvidia,p3768-0000+p3767-0000", "nvidia,p3767-0000", "nvidia,tegra234"}, "jetson-orin-nx.toml"},
      {{"nvidia,p3737-0000+p3701-0005", "nvidia,p3701-0005", "nvidia,tegra234"}, "jetson-agx-orin.toml"},
      {{"nvidia,p3509-0000+p3668-0001", "nvidia,p3668-0001", "nvidia,tegra194"}, "jetson-xavier-nx.toml"},
      {{"nvidia,p3450-0000", "nvidia,tegra210"}, "jetson-nano.toml"},
  };
  for (const Case& c : cases) {
    const fs::path compatible = writeCompatible(dir, c.device);
    const Result<std::optional<std::string>> found = detectBoardFile({boards, compatible.string()});
    ASSERT_TRUE(found) << found.error().message();
    ASSERT_TRUE(found->has_value()) << *c.device.begin();
    EXPECT_EQ(fs::path(**found).filename(), c.expected) << *c.device.begin();
  }
  // A device no file describes, and a host without a device tree: no board file.
  const fs::path other = writeCompatible(dir, {"rockchip,rk3588-evb1-v10", "rockchip,rk3588"});
  ASSERT_TRUE(detectBoardFile({boards, other.string()}));
  EXPECT_FALSE(detectBoardFile({boards, other.string()})->has_value());
  EXPECT_FALSE(detectBoardFile({boards, (dir / "absent").string()})->has_value());
  fs::remove_all(dir);
}

// The more specific match wins over a file that lists only the SoC; a broken file in the
// directory is skipped and named, not fatal; a missing directory is an error naming it.
TEST(BoardDetect, MostSpecificMatchBrokenFilesSkippedMissingDirNamed) {
  const fs::path dir = scratchDir("detect-rank");
  const fs::path boards = dir / "boards";
  fs::create_directories(boards);
  const auto copyWith = [&](const char* from, const char* to, const char* compatibleLine) {
    std::ifstream in(std::string(EDGERT_SOURCE_DIR) + "/board/" + from);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::size_t at = text.find("compatible = [");
    text.replace(at, text.find('\n', at) - at, compatibleLine);
    std::string name = to;
    const std::size_t nameAt = text.find("name = \"");
    text.replace(nameAt, text.find('\n', nameAt) - nameAt, "name = \"" + name + "\"");
    std::ofstream(boards / (name + ".toml")) << text;
  };
  copyWith("jetson-orin-nx.toml", "a-soc-only", "compatible = [\"nvidia,tegra234\"]");
  copyWith("jetson-orin-nano.toml", "b-module", "compatible = [\"nvidia,p3767-0005\"]");
  std::ofstream(boards / "c-broken.toml") << "[board]\nname = 7\n";
  const fs::path compatible =
      writeCompatible(dir, {"nvidia,p3768-0000+p3767-0005", "nvidia,p3767-0005", "nvidia,tegra234"});
  std::vector<std::string> skipped;
  const Result<std::optional<std::string>> found =
      detectBoardFile({boards.string(), compatible.string()}, &skipped);
  ASSERT_TRUE(found) << found.error().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(fs::path(**found).filename(), "b-module.toml");
  ASSERT_EQ(skipped.size(), 1U);
  EXPECT_NE(skipped[0].find("c-broken.toml:2:8: board.name: expected"), std::string::npos) << skipped[0];

  const Result<std::optional<std::string>> missing =
      detectBoardFile({(dir / "nowhere").string(), compatible.string()});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::kNotFound);
  EXPECT_NE(missing.error().message().find("nowhere"), std::string::npos) << missing.error().message();
  fs::remove_all(dir);
}

}  // namespace edgert::hal
