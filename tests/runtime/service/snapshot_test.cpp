// The field debugging snapshot (runtime/src/service/snapshot.hpp): frames in every format
// converted as pre-processing converts them, detections drawn where they are, hostile
// coordinates harmless, and the file replaced atomically. The PNG is read back with libpng's
// simplified API, linked directly.
#include <gtest/gtest.h>
#include <png.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "edgert/kernels/image_convert.hpp"
#include "image/pixel.hpp"
#include "snapshot.hpp"

namespace edgert::runtime {
namespace {

namespace fs = std::filesystem;
using Rgb = std::array<std::uint8_t, 3>;

constexpr Rgb kGreen{0, 255, 0};
constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};

// ---- Frames ----------------------------------------------------------------------------
// Every value in 40..219 and no two channels alike: no source pixel looks like a drawing.
struct Frame {
  std::vector<std::uint8_t> bytes;
  ImageView view;
};

Frame rgbFrame(int width, int height) {
  Frame f;
  f.bytes.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = &f.bytes[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                                  static_cast<std::size_t>(x)) * 3];
      p[0] = static_cast<std::uint8_t>(40 + (x * 3) % 150);
      p[1] = static_cast<std::uint8_t>(50 + (y * 5) % 150);
      p[2] = static_cast<std::uint8_t>(60 + ((x + y) * 7) % 150);
    }
  }
  f.view = packedImageView(PixelFormat::kRgb24, width, height, f.bytes.data());
  return f;
}

// Luma 60..199, chroma 88..167: mid colours only.
Frame yuyvFrame(int width, int height) {
  Frame f;
  f.bytes.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 2);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; x += 2) {
      std::uint8_t* p = &f.bytes[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                                  static_cast<std::size_t>(x)) * 2];
      p[0] = static_cast<std::uint8_t>(60 + (x * 2 + y) % 140);
      p[1] = static_cast<std::uint8_t>(88 + (x + 3 * y) % 80);
      p[2] = static_cast<std::uint8_t>(60 + (x * 2 + 1 + y) % 140);
      p[3] = static_cast<std::uint8_t>(88 + (2 * x + y) % 80);
    }
  }
  f.view = packedImageView(PixelFormat::kYuyv, width, height, f.bytes.data());
  return f;
}

std::vector<std::uint8_t> converted(const ImageView& frame) {
  std::vector<std::uint8_t> rgb(kernels::rgb24Bytes(frame));
  kernels::convertToRgb24(frame, rgb);
  return rgb;
}

// ---- PNG files -------------------------------------------------------------------------
struct Png {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;
  Rgb at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                           static_cast<std::size_t>(x)) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

Png readPng(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  Png out;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    ADD_FAILURE() << path << ": " << image.message;
    return out;
  }
  image.format = PNG_FORMAT_RGB;
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr) == 0) {
    ADD_FAILURE() << path << ": " << image.message;
    return out;
  }
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  return out;
}

Rgb pixelOf(const std::vector<std::uint8_t>& rgb, int width, int x, int y) {
  const std::size_t i =
      (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 3;
  return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

// Pixels of [x0, x1) x [y0, y1) that differ from the source.
int changedPixels(const Png& png, const std::vector<std::uint8_t>& source, int x0, int y0, int x1, int y1) {
  int changed = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) changed += png.at(x, y) != pixelOf(source, png.width, x, y) ? 1 : 0;
  }
  return changed;
}

int countColour(const Png& png, Rgb colour, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) n += png.at(x, y) == colour ? 1 : 0;
  }
  return n;
}

bool isLabel(Rgb c) { return c == kWhite || c == kBlack; }

std::string fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- Detections ------------------------------------------------------------------------
Detection box(float x0, float y0, float x1, float y1, float score) {
  Detection d;
  d.score = score;
  d.x0 = x0;
  d.y0 = y0;
  d.x1 = x1;
  d.y1 = y1;
  return d;
}

// On a 160x120 frame: a face box with a keypoint, a rotated text line "AB 12" and a line of
// Chinese ("京A"), with labels at known places (1x font: glyph cells 6 pixels wide, labels
// 9 high and 1 + 6 * glyphs wide, bottom row 2 above the box's top).
std::vector<Detection> sceneDetections() {
  std::vector<Detection> ds;
  Detection face = box(20, 40, 60, 80, 0.91F);  // label "0.91": x 20..44, y 30..38
  face.numKeypoints = 1;
  face.keypoints[0] = {40, 60};
  ds.push_back(face);

  Detection line = box(85, 30, 140, 70, 0.5F);  // label "AB 12 0.50": x 85..145, y 20..28
  line.hasCorners = true;
  line.corners = {Point{90, 30}, Point{140, 40}, Point{135, 70}, Point{85, 60}};
  line.text = "AB 12";
  ds.push_back(line);

  Detection chinese = box(20, 95, 60, 115, 0.75F);  // label "京A 0.75": x 20..62, y 85..93
  chinese.text = "\xE4\xBA\xAC" "A";
  ds.push_back(chinese);
  return ds;
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "edgert-snapshot-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

// ---- convertToRgb24 ---------------------------------------------------------------------

// Every pixel as pixelAt (pre-processing's own conversion) gives it, with row padding.
void expectMatchesPixelAt(const ImageView& image) {
  const std::vector<std::uint8_t> rgb = converted(image);
  ASSERT_EQ(rgb.size(), static_cast<std::size_t>(image.width * image.height * 3));
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const kernels::image_detail::RgbF p = kernels::image_detail::pixelAt(image, x, y);
      const Rgb expected{static_cast<std::uint8_t>(p.r), static_cast<std::uint8_t>(p.g),
                         static_cast<std::uint8_t>(p.b)};
      ASSERT_EQ(pixelOf(rgb, image.width, x, y), expected)
          << pixelFormatName(image.format) << " at " << x << "," << y;
    }
  }
}

TEST(ConvertToRgb24, YuyvPairsShareTheirChroma) {
  // 4x2 with 4 bytes of padding per row. Pair 0: black and white (no chroma); pair 1: BT.601
  // red (Y 81, Cb 90, Cr 240) in both pixels.
  const std::array<std::uint8_t, 24> bytes = {16, 128, 235, 128, 81, 90, 81, 240, 1, 2, 3, 4,
                                              100, 110, 120, 130, 140, 150, 160, 170, 5, 6, 7, 8};
  ImageView image;
  image.format = PixelFormat::kYuyv;
  image.width = 4;
  image.height = 2;
  image.planes = {bytes.data(), nullptr};
  image.strides = {12, 0};
  const std::vector<std::uint8_t> rgb = converted(image);
  EXPECT_EQ(pixelOf(rgb, 4, 0, 0), kBlack);
  EXPECT_EQ(pixelOf(rgb, 4, 1, 0), kWhite);
  EXPECT_EQ(pixelOf(rgb, 4, 2, 0), kRed);
  EXPECT_EQ(pixelOf(rgb, 4, 3, 0), kRed);
  expectMatchesPixelAt(image);
}

TEST(ConvertToRgb24, Nv12BlocksShareTheirChroma) {
  // 4x4, luma stride 6, chroma stride 5. Block (0,0) is red at every luma 81; block (1,1)
  // has no chroma.
  std::array<std::uint8_t, 24 + 10> bytes{};
  std::uint8_t* luma = bytes.data();
  std::uint8_t* chroma = bytes.data() + 24;
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      luma[y * 6 + x] = static_cast<std::uint8_t>(x < 2 && y < 2 ? 81 : 30 + 40 * x + 7 * y);
    }
  }
  chroma[0] = 90;   // block (0,0): U
  chroma[1] = 240;  //              V
  chroma[2] = 60;
  chroma[3] = 200;
  chroma[5] = 170;
  chroma[6] = 70;
  chroma[7] = 128;
  chroma[8] = 128;
  ImageView image;
  image.format = PixelFormat::kNv12;
  image.width = 4;
  image.height = 4;
  image.planes = {luma, chroma};
  image.strides = {6, 5};
  const std::vector<std::uint8_t> rgb = converted(image);
  for (const auto& [x, y] : {std::pair{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
    EXPECT_EQ(pixelOf(rgb, 4, x, y), kRed) << x << "," << y;
  }
  const auto grey = static_cast<std::uint8_t>((298 * (luma[3 * 6 + 3] - 16) + 128) >> 8);
  EXPECT_EQ(pixelOf(rgb, 4, 3, 3), (Rgb{grey, grey, grey}));
  expectMatchesPixelAt(image);
}

TEST(ConvertToRgb24, GreyAndRgbAreCopied) {
  const std::array<std::uint8_t, 3 * 4> grey = {0, 17, 255, 9, 1, 2, 3, 9, 200, 201, 202, 9};
  ImageView g;
  g.format = PixelFormat::kGrey;
  g.width = 3;
  g.height = 3;
  g.planes = {grey.data(), nullptr};
  g.strides = {4, 0};
  const std::vector<std::uint8_t> rgb = converted(g);
  EXPECT_EQ(pixelOf(rgb, 3, 1, 0), (Rgb{17, 17, 17}));
  EXPECT_EQ(pixelOf(rgb, 3, 2, 2), (Rgb{202, 202, 202}));
  expectMatchesPixelAt(g);

  const Frame f = rgbFrame(7, 5);
  EXPECT_EQ(converted(f.view), f.bytes);
  expectMatchesPixelAt(f.view);
  expectMatchesPixelAt(yuyvFrame(10, 3).view);
}

TEST(ConvertToRgb24, LeavesATooSmallOutputUntouched) {
  const Frame f = rgbFrame(4, 4);
  std::vector<std::uint8_t> out(4 * 4 * 3 - 1, 7);
  kernels::convertToRgb24(f.view, out);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 7; }));
}

// ---- Snapshots --------------------------------------------------------------------------

TEST_F(SnapshotTest, DrawsOutlinesKeypointsAndLabelsOnAnRgbFrame) {
  const Frame frame = rgbFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const std::vector<Detection> ds = sceneDetections();
  const auto path = writer->write(frame.view, ds);
  ASSERT_TRUE(path.ok()) << path.error().message();
  EXPECT_EQ(*path, dir_ + "/snapshot.png");
  const Png png = readPng(*path);
  ASSERT_EQ(png.width, 160);
  ASSERT_EQ(png.height, 120);
  const std::vector<std::uint8_t> source = converted(frame.view);

  // The face box: 2 pixels straddling each edge.
  for (const auto& [x, y] : {std::pair{19, 60}, {20, 60}, {59, 60}, {60, 60}, {40, 39}, {40, 40}, {40, 79},
                             {40, 80}, {19, 39}, {60, 80}}) {
    EXPECT_EQ(png.at(x, y), kGreen) << x << "," << y;
  }
  EXPECT_EQ(png.at(21, 60), pixelOf(source, 160, 21, 60));  // inside, next to the outline
  EXPECT_EQ(png.at(18, 60), pixelOf(source, 160, 18, 60));  // outside
  // Its keypoint: a 3x3 dot.
  EXPECT_EQ(countColour(png, kRed, 0, 0, 160, 120), 9);
  for (int y = 59; y <= 61; ++y) {
    for (int x = 39; x <= 41; ++x) EXPECT_EQ(png.at(x, y), kRed) << x << "," << y;
  }
  // The rotated line follows its quad, not its bounding box: the top edge's midpoint.
  EXPECT_EQ(png.at(115, 35), kGreen);
  EXPECT_EQ(png.at(114, 34), kGreen);
  EXPECT_EQ(png.at(85, 30), pixelOf(source, 160, 85, 30));  // the bounding box's corner

  // Labels: paper and ink where expected, exactly as wide as their glyphs.
  EXPECT_EQ(png.at(20, 30), kBlack);  // the top-left padding of "0.91"
  EXPECT_GT(countColour(png, kWhite, 20, 30, 45, 39), 20);
  EXPECT_GT(countColour(png, kBlack, 20, 30, 45, 39), 100);
  EXPECT_TRUE(isLabel(png.at(44, 34)));
  EXPECT_EQ(png.at(45, 34), pixelOf(source, 160, 45, 34));
  EXPECT_EQ(png.at(40, 29), pixelOf(source, 160, 40, 29));  // just above the label
  EXPECT_GT(countColour(png, kWhite, 85, 20, 146, 29), 60);  // "AB 12 0.50"
  EXPECT_TRUE(isLabel(png.at(145, 24)));
  EXPECT_EQ(png.at(146, 24), pixelOf(source, 160, 146, 24));
  // "京A 0.75": the Chinese character is one hollow box, 'A' comes next.
  EXPECT_EQ(png.at(21, 86), kWhite);
  EXPECT_EQ(png.at(25, 92), kWhite);
  EXPECT_EQ(png.at(23, 89), kBlack);
  EXPECT_EQ(png.at(27, 86), kBlack);  // 'A' has no ink at its top-left corner
  EXPECT_EQ(png.at(28, 86), kWhite);
  EXPECT_TRUE(isLabel(png.at(62, 89)));
  EXPECT_EQ(png.at(63, 89), pixelOf(source, 160, 63, 89));

  // Far from every drawing the frame is unchanged.
  EXPECT_EQ(changedPixels(png, source, 70, 75, 160, 120), 0);
  EXPECT_EQ(changedPixels(png, source, 0, 0, 160, 18), 0);
  // The canvas holds what was written.
  EXPECT_EQ(std::vector<std::uint8_t>(writer->canvas().begin(), writer->canvas().end()), png.rgb);
}

TEST_F(SnapshotTest, ConvertsAYuyvFrameAsPreprocessingDoes) {
  const Frame frame = yuyvFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const auto path = writer->write(frame.view, sceneDetections());
  ASSERT_TRUE(path.ok()) << path.error().message();
  const Png png = readPng(*path);
  ASSERT_EQ(png.width, 160);
  ASSERT_EQ(png.height, 120);
  const std::vector<std::uint8_t> source = converted(frame.view);
  EXPECT_EQ(png.at(19, 60), kGreen);
  EXPECT_EQ(png.at(60, 60), kGreen);
  EXPECT_EQ(png.at(40, 60), kRed);
  EXPECT_GT(countColour(png, kWhite, 20, 30, 45, 39), 20);
  EXPECT_GT(countColour(png, kBlack, 20, 30, 45, 39), 100);
  EXPECT_EQ(changedPixels(png, source, 70, 75, 160, 120), 0);
  EXPECT_EQ(png.at(100, 100), pixelOf(source, 160, 100, 100));
}

TEST_F(SnapshotTest, PutsTheLabelBelowABoxWithNoRoomAbove) {
  const Frame frame = rgbFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const Detection top = box(100, 3, 140, 20, 0.25F);  // label "0.25": x 100..124, y 21..29
  const auto path = writer->write(frame.view, std::span(&top, 1));
  ASSERT_TRUE(path.ok()) << path.error().message();
  const Png png = readPng(*path);
  const std::vector<std::uint8_t> source = converted(frame.view);
  EXPECT_EQ(png.at(100, 21), kBlack);
  EXPECT_TRUE(isLabel(png.at(124, 29)));
  EXPECT_EQ(png.at(124, 30), pixelOf(source, 160, 124, 30));
  EXPECT_EQ(png.at(125, 25), pixelOf(source, 160, 125, 25));
  EXPECT_EQ(png.at(120, 20), kGreen);  // the bottom edge, above the label
  EXPECT_EQ(changedPixels(png, source, 0, 0, 98, 120), 0);
}

TEST_F(SnapshotTest, DrawsTheFontAtTwiceTheSizeFrom640PixelsWide) {
  const Frame frame = rgbFrame(640, 480);
  auto writer = SnapshotWriter::create(640, 480, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const Detection d = box(100, 100, 200, 200, 0.5F);  // label "0.50": x 100..149, y 81..98
  const auto path = writer->write(frame.view, std::span(&d, 1));
  ASSERT_TRUE(path.ok()) << path.error().message();
  const Png png = readPng(*path);
  ASSERT_EQ(png.width, 640);
  const std::vector<std::uint8_t> source = converted(frame.view);
  EXPECT_EQ(png.at(100, 81), kBlack);
  EXPECT_TRUE(isLabel(png.at(149, 98)));
  EXPECT_EQ(png.at(150, 90), pixelOf(source, 640, 150, 90));
  EXPECT_EQ(png.at(149, 80), pixelOf(source, 640, 149, 80));
  EXPECT_GT(countColour(png, kWhite, 100, 81, 150, 99), 4 * 20);
}

TEST_F(SnapshotTest, InvalidUtf8IsOneBoxPerByteAndNothingPastTheText) {
  const Frame frame = rgbFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  // "\xFF" and the first two bytes of 京, whose third byte follows in memory but not in the
  // text: 3 boxes, then " 0.50". Were the third byte read, 京 would be one box.
  static const char kBytes[] = "\xFF\xE4\xBA\xAC";
  Detection d = box(40, 60, 100, 100, 0.5F);  // label: x 40..88 (8 glyphs), y 50..58
  d.text = std::string_view(kBytes, 3);
  const auto path = writer->write(frame.view, std::span(&d, 1));
  ASSERT_TRUE(path.ok()) << path.error().message();
  const Png png = readPng(*path);
  const std::vector<std::uint8_t> source = converted(frame.view);
  for (const int left : {41, 47, 53}) {  // three hollow boxes
    EXPECT_EQ(png.at(left, 51), kWhite) << left;
    EXPECT_EQ(png.at(left + 4, 57), kWhite) << left;
    EXPECT_EQ(png.at(left + 2, 54), kBlack) << left;
  }
  EXPECT_TRUE(isLabel(png.at(88, 54)));
  EXPECT_EQ(png.at(89, 54), pixelOf(source, 160, 89, 54));
}

TEST_F(SnapshotTest, HostileCoordinatesAreClippedNeverFatal) {
  const Frame frame = rgbFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  constexpr float kHuge = 1e30F;
  std::vector<Detection> ds;
  ds.push_back(box(kNaN, kNaN, kNaN, kNaN, kNaN));
  ds.push_back(box(-kHuge, -kHuge, kHuge, kHuge, 1e30F));
  ds.push_back(box(-kInf, 10, kInf, 20, -kInf));
  ds.push_back(box(3e9F, -3e9F, -3e9F, 3e9F, 0.5F));
  ds.push_back(box(0, 0, 160, 120, 0.5F));  // along the image's edges; label at the bottom left
  Detection toTheRight;                     // a quad from the centre to very far away
  toTheRight.hasCorners = true;
  toTheRight.corners = {Point{80, 60}, Point{kHuge, 60}, Point{kHuge, kHuge}, Point{80, kHuge}};
  toTheRight.x0 = 80;
  toTheRight.y0 = 60;
  toTheRight.x1 = kHuge;
  toTheRight.y1 = kHuge;
  ds.push_back(toTheRight);
  Detection nanCorners = box(10, 10, 20, 20, 0.5F);
  nanCorners.hasCorners = true;
  nanCorners.corners = {Point{kNaN, 10}, Point{20, kNaN}, Point{-kInf, kInf}, Point{10, 20}};
  ds.push_back(nanCorners);
  Detection keypoints = box(-5, -5, -1, -1, 0.1F);
  keypoints.numKeypoints = 1000;  // more than the array holds
  keypoints.keypoints = {{{kNaN, 1}, {-kHuge, kHuge}, {-1, 50}, {160, 90}, {-1.5F, 200}, {kInf, 0}}};
  ds.push_back(keypoints);
  Detection negative = box(30, 30, 40, 40, 0.3F);
  negative.numKeypoints = -7;
  const std::string longText(5000, 'W');
  negative.text = longText;
  ds.push_back(negative);

  const auto path = writer->write(frame.view, ds);
  ASSERT_TRUE(path.ok()) << path.error().message();
  const Png png = readPng(*path);
  ASSERT_EQ(png.width, 160);
  ASSERT_EQ(png.height, 120);
  const std::vector<std::uint8_t> source = converted(frame.view);
  // Every pixel is the frame's or a drawing colour.
  for (int y = 0; y < 120; ++y) {
    for (int x = 0; x < 160; ++x) {
      const Rgb c = png.at(x, y);
      ASSERT_TRUE(c == pixelOf(source, 160, x, y) || c == kGreen || c == kRed || isLabel(c)) << x << "," << y;
    }
  }
  // The box along the edges: its outline is the image's outermost pixels, where no label
  // covers it (labels at the top left, across rows 20..28 and along the bottom).
  for (int x = 35; x < 160; ++x) EXPECT_EQ(png.at(x, 0), kGreen) << x;
  for (int y = 29; y < 49; ++y) EXPECT_EQ(png.at(0, y), kGreen) << y;
  for (int y = 0; y < 20; ++y) EXPECT_EQ(png.at(159, y), kGreen) << y;
  for (int y = 29; y < 85; ++y) EXPECT_EQ(png.at(159, y), kGreen) << y;
  // The quad to infinity is clipped at the right edge.
  EXPECT_EQ(png.at(100, 60), kGreen);
  EXPECT_EQ(png.at(100, 61), pixelOf(source, 160, 100, 61));
  // Keypoints on the edges are dots cut by them.
  EXPECT_EQ(png.at(0, 50), kRed);
  EXPECT_EQ(png.at(159, 90), kRed);
  EXPECT_EQ(countColour(png, kRed, 0, 0, 160, 120), 6);
}

TEST_F(SnapshotTest, AMissingDirectoryIsNamedAndLeavesNothing) {
  const std::string missing = dir_ + "/missing/sub";
  const Frame frame = rgbFrame(16, 16);
  auto writer = SnapshotWriter::create(16, 16, missing);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const auto path = writer->write(frame.view, {});
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code(), Errc::kNotFound);
  EXPECT_NE(path.error().message().find(missing), std::string::npos) << path.error().message();
  EXPECT_NE(path.error().message().find("No such file or directory"), std::string::npos)
      << path.error().message();
  EXPECT_TRUE(entries().empty());
}

TEST_F(SnapshotTest, WritingAgainReplacesTheFileAndLeavesNoTemporaryFile) {
  const Frame frame = rgbFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_ + "/");  // a trailing slash is fine
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const std::size_t before = writer->memoryBytes();
  EXPECT_GE(before, 160U * 120U * 3U);
  const std::vector<Detection> ds = sceneDetections();
  auto first = writer->write(frame.view, ds);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(*first, dir_ + "/snapshot.png");
  EXPECT_EQ(readPng(*first).at(19, 60), kGreen);
  EXPECT_GT(writer->memoryBytes(), before);  // the PNG buffer, kept for the next snapshot
  EXPECT_EQ(fs::status(*first).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

  auto second = writer->write(frame.view, {});
  ASSERT_TRUE(second.ok()) << second.error().message();
  const Png png = readPng(*second);
  EXPECT_EQ(png.rgb, converted(frame.view));  // no detections: the frame alone
  EXPECT_EQ(entries(), std::vector<std::string>{"snapshot.png"});
}

TEST_F(SnapshotTest, AFailedWriteKeepsTheOldSnapshotAndRemovesTheTemporaryFile) {
  const Frame frame = rgbFrame(160, 120);
  auto writer = SnapshotWriter::create(160, 120, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const auto first = writer->write(frame.view, sceneDetections());
  ASSERT_TRUE(first.ok()) << first.error().message();
  const std::string old = fileBytes(*first);

  // Files may not grow past 100 bytes: write(2) fails with EFBIG (SIGXFSZ ignored).
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto oldHandler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto second = writer->write(frame.view, {});
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, oldHandler);

  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find(dir_ + "/.snapshot.png."), std::string::npos)
      << second.error().message();
  EXPECT_NE(second.error().message().find("File too large"), std::string::npos) << second.error().message();
  EXPECT_EQ(entries(), std::vector<std::string>{"snapshot.png"});
  EXPECT_EQ(fileBytes(*first), old);
}

TEST_F(SnapshotTest, RejectsBadSizesAndFrames) {
  EXPECT_FALSE(SnapshotWriter::create(0, 10, dir_).ok());
  EXPECT_FALSE(SnapshotWriter::create(10, 16385, dir_).ok());
  EXPECT_FALSE(SnapshotWriter::create(10, 10, "").ok());
  auto writer = SnapshotWriter::create(16, 16, dir_);
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  const Frame wrongSize = rgbFrame(16, 8);
  const auto r = writer->write(wrongSize.view, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.error().message().find("16x8, expected 16x16"), std::string::npos) << r.error().message();
  ImageView noData;
  noData.format = PixelFormat::kNv12;
  noData.width = 16;
  noData.height = 16;
  EXPECT_FALSE(writer->write(noData, {}).ok());
  EXPECT_TRUE(entries().empty());
}

}  // namespace
}  // namespace edgert::runtime
