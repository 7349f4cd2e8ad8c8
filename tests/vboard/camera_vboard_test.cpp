// The camera HAL against the kernel's vivid driver, inside the virtual board (vboard.sh boots
// Debian's kernel in QEMU with `vivid n_devs=1 node_types=0x1`: one capture node). vivid's
// own controls simulate what field cameras do: a USB disconnect, frames flagged with errors,
// dropped buffers. Run anywhere else, every test fails with the reason (no vivid device):
// ctest only runs this binary through vboard.sh.
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "../runtime/cli/cli_runner.hpp"
#include "edgert/hal/camera.hpp"

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string readLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The vivid capture node, found by its sysfs name ("vivid-000-vid-cap").
std::string vividNode() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/class/video4linux", ec)) {
    if (readLine(entry.path() / "name").find("vid-cap") != std::string::npos) {
      return "/dev/" + entry.path().filename().string();
    }
  }
  return {};
}

// Sets a vivid control by its name through a file handle of its own, closed at once (vivid
// reconnects after a simulated disconnect only when every handle is closed).
bool setControl(const std::string& node, const char* name, std::int32_t value) {
  const int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  v4l2_query_ext_ctrl q{};
  q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
  bool done = false;
  while (!done && ::ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
    if (std::strcmp(q.name, name) == 0) {
      v4l2_control c{q.id, value};
      done = ::ioctl(fd, VIDIOC_S_CTRL, &c) == 0;
      break;
    }
    q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
  }
  ::close(fd);
  return done;
}

class VividCamera : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = vividNode();
    ASSERT_FALSE(node_.empty()) << "no vivid capture node in /sys/class/video4linux: this test "
                                   "runs inside the virtual board (tests/vboard/vboard.sh)";
    ASSERT_TRUE(setControl(node_, "Test Pattern", 0));   // 75% colour bars
    ASSERT_TRUE(setControl(node_, "OSD Text Mode", 2));  // no text over the bars
    ASSERT_TRUE(setControl(node_, "Percentage of Dropped Buffers", 0));
  }

  CameraConfig config(PixelFormat format) const {
    CameraConfig c;
    c.source = node_;
    c.width = 640;
    c.height = 480;
    c.fps = 30;
    c.format = format;
    c.buffers = 4;
    c.reconnectMin = 50ms;
    c.reconnectMax = 400ms;
    return c;
  }

  std::unique_ptr<FrameSource> start(const CameraConfig& c) const {
    Result<std::unique_ptr<FrameSource>> made = makeFrameSource(c);
    EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message());
    if (!made) return nullptr;
    Result<void> started = (*made)->start();
    EXPECT_TRUE(started.ok()) << (started ? "" : started.error().message());
    return started ? std::move(*made) : nullptr;
  }

  // Takes frames until `count` arrived or `limit` passed; returns how many arrived.
  static int take(FrameSource& source, int count, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    int got = 0;
    while (got < count && std::chrono::steady_clock::now() < end) {
      Frame f;
      if (source.waitFrame(200ms, f) == WaitStatus::kFrame) {
        ++got;
        source.release(f);
      }
    }
    return got;
  }

  std::string node_;
};

void expectHundredFrames(FrameSource& source, PixelFormat format) {
  EXPECT_EQ(source.format().format, format);
  EXPECT_EQ(source.format().width, 640);
  EXPECT_EQ(source.format().height, 480);
  Frame frame;
  std::uint64_t lastSeq = 0;
  std::int64_t lastNs = 0;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(source.waitFrame(2000ms, frame), WaitStatus::kFrame) << "frame " << i;
    EXPECT_EQ(frame.image.format, format);
    if (i > 0) {
      EXPECT_GT(frame.sequence, lastSeq) << "frame " << i;
      EXPECT_GT(frame.timestampNs, lastNs) << "frame " << i;
    }
    lastSeq = frame.sequence;
    lastNs = frame.timestampNs;
    source.release(frame);
  }
  EXPECT_EQ(source.stats().frames, 100u);
  EXPECT_EQ(source.stats().errorFrames, 0u);
  std::printf("vboard-info: %s: 100 frames, %llu dropped\n", std::string(pixelFormatName(format)).c_str(),
              static_cast<unsigned long long>(source.stats().dropped));
}

TEST_F(VividCamera, HundredFramesYuyv) {
  auto source = start(config(PixelFormat::kYuyv));
  ASSERT_NE(source, nullptr);
  expectHundredFrames(*source, PixelFormat::kYuyv);
}

TEST_F(VividCamera, HundredFramesNv12) {
  auto source = start(config(PixelFormat::kNv12));
  ASSERT_NE(source, nullptr);
  expectHundredFrames(*source, PixelFormat::kNv12);
}

// vivid's 75% colour bars: eight bars of decreasing luma, white to black, with BT.601
// limited-range values (white 180, yellow 162, cyan 131, green 112, magenta 84, red 65,
// blue 35, black 16).
TEST_F(VividCamera, PixelsAreTheColourBars) {
  auto source = start(config(PixelFormat::kYuyv));
  ASSERT_NE(source, nullptr);
  Frame frame;
  ASSERT_EQ(source->waitFrame(2000ms, frame), WaitStatus::kFrame);
  const int want[8] = {180, 162, 131, 112, 84, 65, 35, 16};
  const std::uint8_t* row = frame.image.planes[0] + 240 * frame.image.strides[0];
  for (int bar = 0; bar < 8; ++bar) {
    const int x = bar * 80 + 40;
    EXPECT_NEAR(row[2 * x], want[bar], 6) << "bar " << bar;
  }
  source->release(frame);
}

TEST_F(VividCamera, Rgb24Capture) {
  auto source = start(config(PixelFormat::kRgb24));
  ASSERT_NE(source, nullptr);
  Frame frame;
  ASSERT_EQ(source->waitFrame(2000ms, frame), WaitStatus::kFrame);
  const std::uint8_t* red = frame.image.planes[0] + 240 * frame.image.strides[0] + (5 * 80 + 40) * 3;
  EXPECT_NEAR(red[0], 191, 8);
  EXPECT_NEAR(red[1], 0, 8);
  EXPECT_NEAR(red[2], 0, 8);
  source->release(frame);
}

TEST_F(VividCamera, UnsupportedFormatIsRefusedClearly) {
  Result<std::unique_ptr<FrameSource>> made = makeFrameSource(config(PixelFormat::kMjpeg));
  ASSERT_TRUE(made.ok());
  Result<void> started = (*made)->start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), Errc::kUnsupported);
  const std::string& message = started.error().message();
  EXPECT_NE(message.find("pixel format MJPEG is not offered (the device offers: YUYV"), std::string::npos)
      << message;
  EXPECT_NE(message.find(node_), std::string::npos) << message;
}

TEST_F(VividCamera, ErrorFramesAreCountedAndSkipped) {
  auto source = start(config(PixelFormat::kYuyv));
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(take(*source, 3, 3000ms), 3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(setControl(node_, "Inject V4L2_BUF_FLAG_ERROR", 0));
    ASSERT_EQ(take(*source, 3, 3000ms), 3);
  }
  EXPECT_GE(source->stats().errorFrames, 3u);
  EXPECT_EQ(source->stats().frames, 12u);  // flagged frames are never handed out
}

TEST_F(VividCamera, DroppedBuffersShowAsSequenceGaps) {
  auto source = start(config(PixelFormat::kYuyv));
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(setControl(node_, "Percentage of Dropped Buffers", 50));
  EXPECT_EQ(take(*source, 30, 10000ms), 30);
  ASSERT_TRUE(setControl(node_, "Percentage of Dropped Buffers", 0));
  EXPECT_GT(source->stats().dropped, 0u);
}

// vivid's Disconnect control: every ioctl fails with ENODEV until all handles are closed,
// then the device is back. The source reports kLost, closes, and re-opens with backoff.
TEST_F(VividCamera, DisconnectIsReportedAndRecovered) {
  auto source = start(config(PixelFormat::kYuyv));
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(take(*source, 3, 3000ms), 3);
  ASSERT_TRUE(setControl(node_, "Disconnect", 0));
  Frame frame;
  WaitStatus status = WaitStatus::kFrame;
  for (int i = 0; i < 20 && status != WaitStatus::kLost; ++i) {
    status = source->waitFrame(200ms, frame);
    if (status == WaitStatus::kFrame) source->release(frame);
  }
  ASSERT_EQ(status, WaitStatus::kLost);
  EXPECT_NE(source->lastError().find("No such device"), std::string_view::npos) << source->lastError();
  EXPECT_EQ(take(*source, 5, 10000ms), 5);
  EXPECT_EQ(source->stats().lost, 1u);
  EXPECT_EQ(source->stats().reconnects, 1u);
}

// Unbinding the driver removes the device node, as pulling a USB cable does; binding it
// again brings a new one. Meanwhile waitFrame keeps returning kLost without spinning.
TEST_F(VividCamera, UnplugAndReplug) {
  const fs::path driver = "/sys/bus/platform/drivers/vivid";
  ASSERT_TRUE(fs::exists(driver / "vivid.0")) << "vivid.0 is not bound";
  auto source = start(config(PixelFormat::kYuyv));
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(take(*source, 3, 3000ms), 3);
  { std::ofstream(driver / "unbind") << "vivid.0"; }
  Frame frame;
  int lostCalls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    const WaitStatus s = source->waitFrame(100ms, frame);
    if (s == WaitStatus::kFrame) source->release(frame);
    if (s == WaitStatus::kLost) ++lostCalls;
  }
  // The first call reports the loss at once; the seven after it each wait their 100 ms
  // (no busy loop) while re-opening with backoff.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 650ms);
  EXPECT_GE(lostCalls, 6);
  EXPECT_GE(source->stats().reopenFailures, 1u);
  EXPECT_NE(source->lastError().find("is it plugged in?"), std::string_view::npos) << source->lastError();
  { std::ofstream(driver / "bind") << "vivid.0"; }
  std::this_thread::sleep_for(300ms);
  node_ = vividNode();
  ASSERT_FALSE(node_.empty());
  ASSERT_TRUE(setControl(node_, "OSD Text Mode", 2));
  EXPECT_EQ(take(*source, 5, 10000ms), 5);
  EXPECT_EQ(source->stats().lost, 1u);
  EXPECT_EQ(source->stats().reconnects, 1u);
}

// With DMABUF export, each frame carries a file descriptor that maps the same bytes.
TEST_F(VividCamera, DmabufExport) {
  CameraConfig c = config(PixelFormat::kYuyv);
  c.exportDmabuf = true;
  auto source = start(c);
  ASSERT_NE(source, nullptr);
  Frame frame;
  ASSERT_EQ(source->waitFrame(2000ms, frame), WaitStatus::kFrame);
  ASSERT_GE(frame.dmabufFd, 0);
  const std::size_t bytes = frame.image.strides[0] * 480;
  void* mapped = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, frame.dmabufFd, 0);
  ASSERT_NE(mapped, MAP_FAILED) << std::strerror(errno);
  EXPECT_EQ(std::memcmp(mapped, frame.image.planes[0], bytes), 0);
  ::munmap(mapped, bytes);
  source->release(frame);
}

TEST_F(VividCamera, CameraTestCommand) {
  const cli::test::Outcome o =
      cli::test::runCli({"camera-test", "--source", node_, "--format", "NV12", "--frames", "30"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("format: 640x480 NV12"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("frames: 30 in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("out of order 0"), std::string::npos) << o.out;
  std::printf("vboard-info: %s", o.out.c_str());
}

}  // namespace
}  // namespace edgert::hal
