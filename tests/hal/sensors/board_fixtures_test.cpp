// Every board file against its committed fixture tree (tests/hal/sensors/fixtures/<board>/),
// built from the documented layouts (/work/shared/docs/jetson-sysfs.md, kernel hwmon docs).
#include "edgert/hal/sampler.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;

TEST(SensorFixtures, EveryBoardFileReadsItsFixture) {
  int boards = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(EDGERT_SOURCE_DIR) / "board")) {
    if (entry.path().extension() != ".toml") continue;
    const std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    const Board board = testing::loadBoard(name);
    const SensorOptions options = testing::committedFixture(name);
    ASSERT_TRUE(fs::is_directory(options.sysfsRoot)) << "no fixture for " << name;
    auto set = SensorSet::open(board, options);
    ASSERT_TRUE(set) << set.error().message();
    SensorSample s;
    set->read(s, monotonicNowNs());

    const auto rails = set->power().rails();
    std::size_t listed = 0;
    for (const Board::PowerSensor& sensor : board.power.sensors) listed += sensor.rails.size();
    EXPECT_EQ(rails.size(), listed);
    for (std::size_t i = 0; i < rails.size(); ++i) {
      EXPECT_EQ(s.rails[i].state, ReadingState::kOk) << rails[i].label;
      EXPECT_GT(s.rails[i].milliwatts, 0) << rails[i].label;
    }
    if (board.power.total != PowerTotal::kNone) {
      EXPECT_EQ(s.total.state, ReadingState::kOk);
    }

    const auto zones = set->thermal().zones();
    EXPECT_FALSE(zones.empty());
    for (std::size_t i = 0; i < zones.size(); ++i) {
      EXPECT_TRUE(s.zones[i].state == ReadingState::kOk || s.zones[i].state == ReadingState::kOffline)
          << zones[i].type;
    }
    if (!board.gpu.devfreqNames.empty()) {
      EXPECT_FALSE(set->gpu().devfreqNode().empty());
      EXPECT_EQ(s.gpu.freqState, ReadingState::kOk);
    }
    EXPECT_EQ(s.cpu.loadState, ReadingState::kOk);
    EXPECT_EQ(s.cpu.cores[0].freqState, ReadingState::kOk);
    ++boards;
  }
  EXPECT_GE(boards, 7);
}

TEST(SensorFixtures, OrinNanoJetPack6) {
  auto set = SensorSet::open(testing::loadBoard("jetson-orin-nano"), testing::committedFixture("jetson-orin-nano"));
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->problems().empty());
  SensorSample s;
  set->read(s, monotonicNowNs());
  EXPECT_EQ(s.rails[0].milliwatts, 5072 * 1306 / 1000);
  EXPECT_EQ(s.rails[1].milliwatts, 5064 * 242 / 1000);
  EXPECT_EQ(s.rails[2].milliwatts, 5064 * 470 / 1000);
  EXPECT_EQ(s.total.milliwatts, s.rails[0].milliwatts);
  EXPECT_EQ(set->thermal().zones()[2].type, "cv0-thermal");
  EXPECT_EQ(s.zones[2].state, ReadingState::kOffline);  // no DLA on Orin Nano: -256 C
  EXPECT_EQ(set->gpu().devfreqNode(), "17000000.gpu");
  EXPECT_EQ(s.gpu.loadPermille, 125);
}

TEST(SensorFixtures, AgxOrinSumsTwoMonitorsAndSkipsNc) {
  auto set = SensorSet::open(testing::loadBoard("jetson-agx-orin"), testing::committedFixture("jetson-agx-orin"));
  ASSERT_TRUE(set);
  SensorSample s;
  set->read(s, monotonicNowNs());
  ASSERT_EQ(set->power().rails().size(), 4u);
  EXPECT_EQ(set->power().rails()[3].label, "VDDQ_VDD2_1V8AO");
  EXPECT_EQ(s.total.milliwatts, 2994 + 1197 + 2103 + 700);
  EXPECT_EQ(s.cpu.cores[11].loadState, ReadingState::kOffline);  // cpu11 hot-unplugged
}

TEST(SensorFixtures, NanoJetPack4ThroughIio) {
  auto set = SensorSet::open(testing::loadBoard("jetson-nano"), testing::committedFixture("jetson-nano"));
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->problems().empty());
  SensorSample s;
  set->read(s, monotonicNowNs());
  EXPECT_EQ(s.total.milliwatts, 3020);
  EXPECT_EQ(s.gpu.loadPermille, 38);  // /sys/devices/gpu.0/load
  for (const ThermalMonitor::Zone& z : set->thermal().zones()) EXPECT_NE(z.type, "PMIC-Die");
}

TEST(SensorFixtures, MaliBoardHasFrequenciesButNoLoadFile) {
  auto set = SensorSet::open(testing::loadBoard("generic-arm64-mali"), testing::committedFixture("generic-arm64-mali"));
  ASSERT_TRUE(set);
  ASSERT_EQ(set->problems().size(), 1u);
  EXPECT_NE(set->problems()[0].find("fb000000.gpu/device/load"), std::string::npos);
  SensorSample s;
  set->read(s, monotonicNowNs());
  EXPECT_EQ(s.gpu.loadState, ReadingState::kMissing);
  EXPECT_EQ(s.gpu.curHz, 300000000);
  EXPECT_EQ(set->thermal().zones().size(), 7u);
}

TEST(SensorReport, JsonAndLineOfTheOrinNanoFixture) {
  auto set = SensorSet::open(testing::loadBoard("jetson-orin-nano"), testing::committedFixture("jetson-orin-nano"));
  ASSERT_TRUE(set);
  auto sampler = Sampler::create(std::move(*set), {});
  ASSERT_TRUE(sampler);
  ASSERT_TRUE((*sampler)->sampleNow());
  SensorSample s;
  ASSERT_TRUE((*sampler)->latest(s));
  const WindowStats w = (*sampler)->stats(0);
  const OpenClStatus cl{false, "NVIDIA ships \"CUDA\""};
  const std::string json = formatSampleJson((*sampler)->sensors(), s, w, s.timeNs, &cl);
  EXPECT_NE(json.find("\"seq\":1,\"t_ms\":0.000,"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"name\":\"VDD_IN\",\"state\":\"ok\",\"mv\":5072,\"ma\":1306,\"mw\":6624,"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"type\":\"cv0-thermal\",\"zone\":\"thermal_zone2\",\"state\":\"offline\"}"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"type\":\"cpu-thermal\",\"zone\":\"thermal_zone0\",\"state\":\"ok\",\"celsius\":50.125}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"opencl\":{\"available\":false,\"detail\":\"NVIDIA ships \\\"CUDA\\\"\"}"), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);

  const std::string line = formatSampleLine((*sampler)->sensors(), s, w);
  EXPECT_NE(line.find(" GR3D_FREQ 13%@306 cpu@50.1C gpu@49.6C cv0@offline "), std::string::npos) << line;
  EXPECT_NE(line.find(" VDD_IN 6624mW/6624mW VDD_CPU_GPU_CV 1225mW/1225mW VDD_SOC 2380mW/2380mW energy 0.0mJ"), std::string::npos) << line;
}

}  // namespace
}  // namespace edgert::hal
