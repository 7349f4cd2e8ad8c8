#include "edgert/hal/sensors.hpp"

#include "sensor_fixture.hpp"

#include <gtest/gtest.h>

namespace edgert::hal {
namespace {

using testing::FixtureTree;

Board::Gpu gpu(std::vector<std::string> names) {
  Board::Gpu g;
  g.devfreqNames = std::move(names);
  g.opencl = OpenClExpectation::kNone;
  g.openclNote = "NVIDIA ships CUDA, not OpenCL";
  return g;
}

TEST(GpuDevfreq, NodeFoundByDeviceTreeNameAmongOthers) {
  FixtureTree t;
  t.devfreq("15340000.vic", "vic", 10);
  t.devfreq("17000000.gpu", "gpu", 125);
  auto m = GpuMonitor::open(gpu({"gpu", "ga10b"}), t.options());
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->devfreqNode(), "17000000.gpu");
  EXPECT_TRUE(m->problems().empty());
  GpuReading r;
  m->read(r, monotonicNowNs());
  EXPECT_EQ(r.loadState, ReadingState::kOk);
  EXPECT_EQ(r.loadPermille, 125);
  EXPECT_EQ(r.freqState, ReadingState::kOk);
  EXPECT_EQ(r.curHz, 306000000);
  EXPECT_EQ(r.maxHz, 624750000);
  EXPECT_EQ(r.governorName(), "nvhost_podgov");
}

TEST(GpuDevfreq, NodeThatAppearsAfterStartIsFound) {
  FixtureTree t;
  t.mkdir("sys/class/devfreq");
  SensorOptions o = t.options();
  o.gpuReprobeInterval = std::chrono::milliseconds(0);
  auto m = GpuMonitor::open(gpu({"ga10b"}), o);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->problems().size(), 1u);
  GpuReading r;
  m->read(r, monotonicNowNs());
  EXPECT_EQ(r.loadState, ReadingState::kMissing);
  EXPECT_EQ(m->devfreqNode(), "");

  t.devfreq("17000000.ga10b", "ga10b", 467);
  m->read(r, monotonicNowNs());
  EXPECT_EQ(m->devfreqNode(), "17000000.ga10b");
  EXPECT_EQ(r.loadState, ReadingState::kOk);
  EXPECT_EQ(r.loadPermille, 467);
}

TEST(GpuDevfreq, ReprobeWaitsForItsInterval) {
  FixtureTree t;
  t.mkdir("sys/class/devfreq");
  SensorOptions o = t.options();
  o.gpuReprobeInterval = std::chrono::hours(1);
  auto m = GpuMonitor::open(gpu({"gpu"}), o);
  ASSERT_TRUE(m);
  t.devfreq("17000000.gpu", "gpu", 1);
  GpuReading r;
  m->read(r, monotonicNowNs());
  EXPECT_EQ(m->devfreqNode(), "");  // not looked for again yet
}

TEST(GpuDevfreq, LoadFileFromTheBoard) {
  FixtureTree t;
  t.devfreq("57000000.gpu", "gpu", 999);
  t.write("sys/devices/gpu.0/load", "38\n");
  Board::Gpu g = gpu({"gpu"});
  g.loadFile = "devices/gpu.0/load";
  auto m = GpuMonitor::open(g, t.options());
  ASSERT_TRUE(m);
  GpuReading r;
  m->read(r, monotonicNowNs());
  EXPECT_EQ(r.loadPermille, 38);
}

TEST(GpuDevfreq, NoDevfreqNamesMeansNoReadingsAndNoProblem) {
  FixtureTree t;
  auto m = GpuMonitor::open(gpu({}), t.options());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->problems().empty());
  GpuReading r;
  m->read(r, monotonicNowNs());
  EXPECT_EQ(r.loadState, ReadingState::kMissing);
}

TEST(GpuOpenCl, JetsonSaysWhyTheBackendIsUnavailable) {
  const Board board = testing::loadBoard("jetson-orin-nano");
  const OpenClStatus s = describeOpenCl(board.gpu, probeOpenCl());
  EXPECT_FALSE(s.available);
  EXPECT_EQ(s.detail, board.gpu.openclNote);
}

// Through the real ICD loader: PoCL on x86-64 hosts; the aarch64 build under qemu has the
// loader but no arm64 driver, and must say so rather than fail.
TEST(GpuOpenCl, ExpectedDriverThroughTheIcdLoader) {
  const Board board = testing::loadBoard("host-sim");
  const OpenClStatus s = describeOpenCl(board.gpu, probeOpenCl());
#if defined(__x86_64__)
  EXPECT_TRUE(s.available) << s.detail;
  EXPECT_NE(s.detail.find("Portable Computing Language"), std::string::npos) << s.detail;
#else
  EXPECT_FALSE(s.available);
  EXPECT_NE(s.detail.find("/etc/OpenCL/vendors"), std::string::npos) << s.detail;
#endif
}

TEST(GpuOpenCl, PlatformsWithoutDevicesAreUnavailable) {
  const Board board = testing::loadBoard("generic-arm64-mali");
  std::vector<OpenClPlatform> none(1);
  none[0].name = "empty";
  const OpenClStatus s = describeOpenCl(board.gpu, none);
  EXPECT_FALSE(s.available);
  EXPECT_EQ(s.detail, "the ICD loader found 1 OpenCL platform(s) but no device");
}

}  // namespace
}  // namespace edgert::hal
