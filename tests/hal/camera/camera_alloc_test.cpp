// After start(), taking and releasing frames allocates nothing, for every source that needs
// no device (the V4L2 camera is counted the same way in the virtual board:
// tests/vboard/camera_alloc_vboard_test.cpp).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "edgert/hal/camera.hpp"
#include "support/alloc_counter.hpp"

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

long allocationsOver1000Frames(const CameraConfig& config) {
  Result<std::unique_ptr<FrameSource>> made = makeFrameSource(config);
  EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message());
  if (!made) return -1;
  FrameSource& source = **made;
  Result<void> started = source.start();
  EXPECT_TRUE(started.ok()) << (started ? "" : started.error().message());
  if (!started) return -1;
  int frames = 0;
  test::startCountingAllocations();
  for (int i = 0; i < 1000; ++i) {
    Frame frame;
    if (source.waitFrame(100ms, frame) == WaitStatus::kFrame) {
      ++frames;
      source.release(frame);
    }
  }
  const long allocations = test::stopCountingAllocations();
  EXPECT_EQ(frames, 1000);
  return allocations;
}

TEST(CameraAlloc, CounterWorks) { EXPECT_TRUE(test::allocationCounterWorks()); }

TEST(CameraAlloc, SyntheticSource) {
  CameraConfig config;
  config.source = "synthetic:pulse=5,5";
  config.width = 64;
  config.height = 48;
  config.realtime = false;
  for (PixelFormat f : {PixelFormat::kYuyv, PixelFormat::kNv12, PixelFormat::kGrey, PixelFormat::kRgb24}) {
    config.format = f;
    EXPECT_EQ(allocationsOver1000Frames(config), 0) << pixelFormatName(f);
  }
}

TEST(CameraAlloc, VideoAndImageFiles) {
  std::string pattern = (fs::temp_directory_path() / "edgert-camalloc-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data());
  {
    std::ofstream y4m(dir / "clip.y4m", std::ios::binary);
    y4m << "YUV4MPEG2 W16 H8 F30:1 C420jpeg\n";
    for (int f = 0; f < 7; ++f) y4m << "FRAME\n" << std::string(16 * 8 * 3 / 2, static_cast<char>(f));
    std::ofstream raw(dir / "clip.yuyv", std::ios::binary);
    raw << std::string(16 * 8 * 2 * 3, '\x40');
    // The smallest valid PNG: 1x1 RGB, written byte by byte (signature, IHDR, IDAT, IEND).
    const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8,
        0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    std::ofstream(dir / "dot.png", std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
  }
  CameraConfig config;
  config.realtime = false;
  config.width = 16;
  config.height = 8;
  for (const char* name : {"clip.y4m", "clip.yuyv", "dot.png"}) {
    config.source = (dir / name).string();
    EXPECT_EQ(allocationsOver1000Frames(config), 0) << name;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace edgert::hal
