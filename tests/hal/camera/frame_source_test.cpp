// The frame sources that need no device: synthetic, still images, video files; and the
// V4L2 backend's refusals that need none either (the real driver is tested in the virtual
// board, tests/vboard/camera_vboard_test.cpp).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgert/hal/camera.hpp"
#include "support/image_files.hpp"
#include "support/temp_dir.hpp"

namespace edgert::hal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using edgert::test::TempDir;

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::unique_ptr<FrameSource> started(const CameraConfig& config) {
  Result<std::unique_ptr<FrameSource>> made = makeFrameSource(config);
  EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message());
  if (!made) return nullptr;
  Result<void> start = (*made)->start();
  EXPECT_TRUE(start.ok()) << (start ? "" : start.error().message());
  return start ? std::move(*made) : nullptr;
}

std::string startError(const CameraConfig& config) {
  Result<std::unique_ptr<FrameSource>> made = makeFrameSource(config);
  if (!made) return made.error().message();
  Result<void> start = (*made)->start();
  return start ? std::string("(started)") : start.error().message();
}

// 75% colour bars in BT.601 limited range as broadcast references list them (Y, Cb, Cr):
// independent of the formula the synthetic source uses.
struct BarYuv {
  int y, u, v;
};
constexpr BarYuv kBars75[8] = {{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
                               {84, 184, 198},  {65, 100, 212}, {35, 212, 114}, {16, 128, 128}};
constexpr int kBarsRgb[8][3] = {{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
                                {191, 0, 191},   {191, 0, 0},   {0, 0, 191},   {0, 0, 0}};

TEST(SyntheticSource, ColourBarsInEveryFormat) {
  for (PixelFormat format : {PixelFormat::kYuyv, PixelFormat::kNv12, PixelFormat::kGrey,
                             PixelFormat::kRgb24}) {
    SCOPED_TRACE(pixelFormatName(format));
    CameraConfig config;
    config.source = "synthetic:still";  // the square stays in the top-left corner
    config.width = 320;
    config.height = 240;
    config.format = format;
    config.realtime = false;
    auto source = started(config);
    ASSERT_NE(source, nullptr);
    Frame frame;
    ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
    EXPECT_EQ(frame.image.format, format);
    EXPECT_EQ(frame.image.width, 320);
    const int y = 200;  // below the square
    for (int bar = 0; bar < 8; ++bar) {
      const int x = bar * 40 + 20;  // even: a whole YUYV pair inside the bar
      const std::uint8_t* row = frame.image.planes[0] + static_cast<std::size_t>(y) * frame.image.strides[0];
      switch (format) {
        case PixelFormat::kYuyv:
          EXPECT_NEAR(row[2 * x], kBars75[bar].y, 2) << "bar " << bar;
          EXPECT_NEAR(row[2 * x + 1], kBars75[bar].u, 2) << "bar " << bar;
          EXPECT_NEAR(row[2 * x + 3], kBars75[bar].v, 2) << "bar " << bar;
          break;
        case PixelFormat::kNv12: {
          const std::uint8_t* uv = frame.image.planes[1] + (y / 2) * frame.image.strides[1];
          EXPECT_NEAR(row[x], kBars75[bar].y, 2) << "bar " << bar;
          EXPECT_NEAR(uv[x], kBars75[bar].u, 2) << "bar " << bar;
          EXPECT_NEAR(uv[x + 1], kBars75[bar].v, 2) << "bar " << bar;
          break;
        }
        case PixelFormat::kGrey: EXPECT_NEAR(row[x], kBars75[bar].y, 2) << "bar " << bar; break;
        default:
          for (int c = 0; c < 3; ++c) EXPECT_EQ(row[3 * x + c], kBarsRgb[bar][c]) << "bar " << bar;
      }
    }
    source->release(frame);
  }
}

std::vector<std::uint8_t> copyOf(const Frame& frame) {
  const std::size_t bytes = frame.image.strides[0] * static_cast<std::size_t>(frame.image.height);
  return {frame.image.planes[0], frame.image.planes[0] + bytes};
}

// Sequence numbers count up from 0, timestamps increase, and the square moves exactly in the
// frames the schedule says.
TEST(SyntheticSource, MotionFollowsTheSchedule) {
  CameraConfig config;
  config.source = "synthetic:pulse=2,3";
  config.width = 64;
  config.height = 48;
  config.format = PixelFormat::kGrey;
  config.realtime = false;
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  std::vector<std::vector<std::uint8_t>> images;
  std::int64_t lastNs = -1;
  for (std::uint64_t i = 0; i < 10; ++i) {
    Frame frame;
    ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
    EXPECT_EQ(frame.sequence, i);
    EXPECT_GT(frame.timestampNs, lastNs);
    lastNs = frame.timestampNs;
    images.push_back(copyOf(frame));
    source->release(frame);
  }
  // Frames 0 and 1 move, 2..4 hold still, 5 and 6 move, 7.. hold still: a moving frame
  // differs from the one before it.
  const bool expectChange[9] = {true, false, false, false, true, true, false, false, false};
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(images[static_cast<std::size_t>(i)] != images[static_cast<std::size_t>(i) + 1],
              expectChange[i])
        << "between frames " << i << " and " << i + 1;
  }
  EXPECT_EQ(source->stats().frames, 10u);
}

TEST(SyntheticSource, BadScheduleNamesTheSyntax) {
  CameraConfig config;
  config.source = "synthetic:pulse=0,5";
  EXPECT_NE(startError(config).find("synthetic:pulse=MOVING,STILL"), std::string::npos);
  config.source = "synthetic:wobble";
  EXPECT_NE(startError(config).find("synthetic:pulse=MOVING,STILL"), std::string::npos);
}

TEST(SyntheticSource, BorrowingEveryBufferTimesOutUntilOneIsReleased) {
  CameraConfig config;
  config.buffers = 3;
  config.width = 32;
  config.height = 16;
  config.realtime = false;
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  Frame frames[3];
  for (Frame& f : frames) ASSERT_EQ(source->waitFrame(100ms, f), WaitStatus::kFrame);
  Frame extra;
  EXPECT_EQ(source->waitFrame(10ms, extra), WaitStatus::kTimeout);
  source->release(frames[1]);
  ASSERT_EQ(source->waitFrame(10ms, extra), WaitStatus::kFrame);
  EXPECT_EQ(extra.slot, frames[1].slot);
}

// ---- still images --------------------------------------------------------------------

constexpr int kImgW = 7, kImgH = 5;
std::vector<std::uint8_t> testPixels() {
  std::vector<std::uint8_t> rgb(kImgW * kImgH * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 37 % 251);
  return rgb;
}

TEST(ImageFileSource, PngIsReplayedPixelExact) {
  TempDir dir("edgert-camera");
  const std::vector<std::uint8_t> rgb = testPixels();
  ASSERT_TRUE(edgert::testing::writePng(dir.file("still.png"), rgb, kImgW, kImgH));
  CameraConfig config;
  config.source = dir.file("still.png");
  config.realtime = false;
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->format().width, kImgW);
  EXPECT_EQ(source->format().format, PixelFormat::kRgb24);
  for (std::uint64_t i = 0; i < 3; ++i) {
    Frame frame;
    ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
    EXPECT_EQ(frame.sequence, i);
    ASSERT_EQ(frame.image.strides[0], kImgW * 3u);
    EXPECT_EQ(std::vector<std::uint8_t>(frame.image.planes[0], frame.image.planes[0] + rgb.size()), rgb);
    source->release(frame);
  }
}

TEST(ImageFileSource, JpegDecodesToRgb) {
  TempDir dir("edgert-camera");
  // A flat colour survives JPEG at quality 100 within a level or two.
  const int w = 16, h = 8;
  std::vector<std::uint8_t> rgb(w * h * 3);
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = 200;
    rgb[i + 1] = 40;
    rgb[i + 2] = 90;
  }
  ASSERT_TRUE(edgert::testing::writeJpeg(dir.file("still.JPG"), rgb, w, h, 100));
  CameraConfig config;
  config.source = dir.file("still.JPG");
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  Frame frame;
  ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
  EXPECT_EQ(frame.image.width, w);
  EXPECT_EQ(frame.image.height, h);
  for (std::size_t i = 0; i < rgb.size(); ++i) EXPECT_NEAR(frame.image.planes[0][i], rgb[i], 3) << i;
}

TEST(ImageFileSource, BrokenFilesAreNamed) {
  TempDir dir("edgert-camera");
  CameraConfig config;
  config.source = dir.file("missing.png");
  EXPECT_NE(startError(config).find("missing.png"), std::string::npos);

  ASSERT_TRUE(edgert::testing::writePng(dir.file("good.png"), testPixels(), kImgW, kImgH));
  std::ifstream in(dir.file("good.png"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  writeBytes(dir.file("truncated.png"), bytes.substr(0, bytes.size() / 2));
  config.source = dir.file("truncated.png");
  EXPECT_NE(startError(config).find("truncated.png"), std::string::npos) << startError(config);

  writeBytes(dir.file("text.jpg"), "this is not a JPEG file");
  config.source = dir.file("text.jpg");
  const std::string error = startError(config);
  EXPECT_NE(error.find("text.jpg: not a readable JPEG"), std::string::npos) << error;
}

// ---- video files ---------------------------------------------------------------------

std::string y4m(const std::string& header, int frames, std::size_t frameBytes, bool truncateLast = false) {
  std::string out = "YUV4MPEG2 " + header + "\n";
  for (int f = 0; f < frames; ++f) {
    out += "FRAME\n";
    std::string payload(frameBytes, '\0');
    for (std::size_t i = 0; i < frameBytes; ++i) payload[i] = static_cast<char>((i + 7 * f) & 0xff);
    if (truncateLast && f == frames - 1) payload.resize(frameBytes / 2);
    out += payload;
  }
  return out;
}

TEST(VideoFileSource, Y4m420IsDeliveredAsNv12) {
  TempDir dir("edgert-camera");
  const int w = 8, h = 6;
  writeBytes(dir.file("clip.y4m"), y4m("W8 H6 F25:1 Ip A1:1 C420jpeg", 3, w * h * 3 / 2));
  CameraConfig config;
  config.source = dir.file("clip.y4m");
  config.realtime = false;
  config.loop = false;
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->format().format, PixelFormat::kNv12);
  EXPECT_DOUBLE_EQ(source->format().fps, 0.0);  // not realtime
  for (int f = 0; f < 3; ++f) {
    Frame frame;
    ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
    const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>((i + 7 * f) & 0xff); };
    for (std::size_t i = 0; i < w * h; ++i) EXPECT_EQ(frame.image.planes[0][i], at(i));
    // Chroma: U plane (w*h/4 bytes) then V plane in the file, interleaved U V in NV12.
    for (std::size_t i = 0; i < w * h / 4; ++i) {
      EXPECT_EQ(frame.image.planes[1][2 * i], at(w * h + i));
      EXPECT_EQ(frame.image.planes[1][2 * i + 1], at(w * h + w * h / 4 + i));
    }
    source->release(frame);
  }
  Frame frame;
  EXPECT_EQ(source->waitFrame(10ms, frame), WaitStatus::kEnded);
}

TEST(VideoFileSource, Y4m422IsDeliveredAsYuyvAndMonoAsGrey) {
  TempDir dir("edgert-camera");
  writeBytes(dir.file("c422.y4m"), y4m("W4 H2 F30:1 C422", 1, 4 * 2 * 2));
  CameraConfig config;
  config.source = dir.file("c422.y4m");
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  Frame frame;
  ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
  EXPECT_EQ(frame.image.format, PixelFormat::kYuyv);
  // Y 0..7, U 8..11, V 12..15 -> Y0 U0 Y1 V0 Y2 U1 Y3 V1 ...
  const std::uint8_t want[8] = {0, 8, 1, 12, 2, 9, 3, 13};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(frame.image.planes[0][i], want[i]) << i;

  writeBytes(dir.file("mono.y4m"), y4m("W5 H3 F30:1 Cmono", 2, 15));
  config.source = dir.file("mono.y4m");
  source = started(config);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->format().format, PixelFormat::kGrey);
  EXPECT_DOUBLE_EQ(source->format().fps, 30.0);
}

TEST(VideoFileSource, LoopingContinuesTheSequence) {
  TempDir dir("edgert-camera");
  writeBytes(dir.file("two.y4m"), y4m("W2 H2 F30:1 Cmono", 2, 4));
  CameraConfig config;
  config.source = dir.file("two.y4m");
  config.realtime = false;
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  for (std::uint64_t i = 0; i < 5; ++i) {
    Frame frame;
    ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
    EXPECT_EQ(frame.sequence, i);
    EXPECT_EQ(frame.image.planes[0][0], (i % 2) * 7);
    source->release(frame);
  }
}

TEST(VideoFileSource, BadFilesAreRefusedWithWhereTheyBreak) {
  TempDir dir("edgert-camera");
  CameraConfig config;
  writeBytes(dir.file("cut.y4m"), y4m("W8 H6 F25:1 C420jpeg", 3, 72, /*truncateLast=*/true));
  config.source = dir.file("cut.y4m");
  EXPECT_NE(startError(config).find("frame 2 at byte 193 is truncated (36 of 72 bytes)"),
            std::string::npos)
      << startError(config);

  writeBytes(dir.file("c444.y4m"), y4m("W8 H6 F25:1 C444", 1, 144));
  config.source = dir.file("c444.y4m");
  EXPECT_NE(startError(config).find("colour space C444 is not supported"), std::string::npos);

  writeBytes(dir.file("junk.y4m"), "RIFF....WAVEfmt ");
  config.source = dir.file("junk.y4m");
  EXPECT_NE(startError(config).find("not a YUV4MPEG2 file"), std::string::npos);

  writeBytes(dir.file("noframe.y4m"), "YUV4MPEG2 W2 H2 Cmono\nFRAME\n\x01\x02\x03\x04garbage\n");
  config.source = dir.file("noframe.y4m");
  EXPECT_NE(startError(config).find("frame 1 at byte 32: expected a FRAME header"), std::string::npos)
      << startError(config);

  writeBytes(dir.file("raw.yuyv"), std::string(100, '\0'));
  config.source = dir.file("raw.yuyv");
  config.width = 4;
  config.height = 4;
  EXPECT_NE(startError(config).find("100 bytes is not a whole number of 4x4 YUYV frames (32 bytes each)"),
            std::string::npos)
      << startError(config);
}

TEST(VideoFileSource, RawFramesTakeTheConfiguredSize) {
  TempDir dir("edgert-camera");
  std::string bytes;
  for (int f = 0; f < 3; ++f) bytes += std::string(4 * 2 * 3, static_cast<char>(f + 1));
  writeBytes(dir.file("clip.rgb"), bytes);
  CameraConfig config;
  config.source = dir.file("clip.rgb");
  config.width = 4;
  config.height = 2;
  config.loop = false;
  config.realtime = false;
  auto source = started(config);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->format().format, PixelFormat::kRgb24);
  for (int f = 0; f < 3; ++f) {
    Frame frame;
    ASSERT_EQ(source->waitFrame(100ms, frame), WaitStatus::kFrame);
    EXPECT_EQ(frame.image.planes[0][23], f + 1);
    source->release(frame);
  }
  Frame frame;
  EXPECT_EQ(source->waitFrame(10ms, frame), WaitStatus::kEnded);
}

// ---- V4L2 without a device -----------------------------------------------------------

TEST(V4l2Camera, MissingAndWrongDevicesAreNamed) {
  CameraConfig config;
  config.source = "/dev/video-edgert-none";
  Result<std::unique_ptr<FrameSource>> made = makeFrameSource(config);
  ASSERT_TRUE(made.ok());
  Result<void> start = (*made)->start();
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.error().code(), Errc::kNotFound);
  EXPECT_EQ(start.error().message(),
            "camera /dev/video-edgert-none: No such file or directory (is it plugged in?)");

  config.source = "/dev/null";
  EXPECT_EQ(startError(config), "camera /dev/null: not a V4L2 device");

  config.source = "usb-Nobody_Camera-video-index0";
  EXPECT_EQ(startError(config),
            "camera usb-Nobody_Camera-video-index0: no such device in /dev/v4l/by-id or "
            "/dev/v4l/by-path (is it plugged in?)");

  config.source = "/dev/video0";
  config.buffers = 1;
  EXPECT_EQ(startError(config), "camera /dev/video0: buffers 1 outside 2..32");
}

TEST(FrameSource, ConfigFromTheBoard) {
  Result<Board> board = loadDefaultBoard();
  ASSERT_TRUE(board.ok());
  const CameraConfig config = cameraConfigFromBoard(board->camera);
  EXPECT_EQ(config.source, "synthetic");
  EXPECT_EQ(config.width, 640);
  EXPECT_EQ(config.height, 480);
  EXPECT_EQ(config.format, PixelFormat::kYuyv);
  EXPECT_EQ(config.buffers, 4);
}

}  // namespace
}  // namespace edgert::hal
