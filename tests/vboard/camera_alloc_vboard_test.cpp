// The V4L2 camera's steady state allocates nothing: 200 frames from vivid, taken and
// released, with every operator new and malloc counted (inside the virtual board).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "edgert/hal/camera.hpp"
#include "support/alloc_counter.hpp"

namespace edgert::hal {
namespace {

using namespace std::chrono_literals;

TEST(V4l2CameraAlloc, TwoHundredFramesAllocateNothing) {
  ASSERT_TRUE(test::allocationCounterWorks());
  ASSERT_TRUE(std::filesystem::exists("/sys/class/video4linux/video0"))
      << "no /dev/video0: this test runs inside the virtual board (tests/vboard/vboard.sh)";
  CameraConfig config;
  config.source = "/dev/video0";
  config.format = PixelFormat::kYuyv;
  Result<std::unique_ptr<FrameSource>> made = makeFrameSource(config);
  ASSERT_TRUE(made.ok()) << made.error().message();
  FrameSource& camera = **made;
  Result<void> started = camera.start();
  ASSERT_TRUE(started.ok()) << started.error().message();
  int frames = 0;
  test::startCountingAllocations();
  while (frames < 200) {
    Frame frame;
    const WaitStatus s = camera.waitFrame(2000ms, frame);
    if (s != WaitStatus::kFrame) break;
    ++frames;
    camera.release(frame);
  }
  const long allocations = test::stopCountingAllocations();
  EXPECT_EQ(frames, 200);
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace edgert::hal
