// Pre-processing: the table-driven variant against the reference on random frames of
// awkward sizes in every format, resize mode and channel order; and the reference itself
// against values worked out by hand.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "edgert/kernels/image.hpp"

namespace edgert::kernels {
namespace {

struct TestImage {
  std::vector<std::uint8_t> bytes;
  ImageView view;
};

// A random image with a stride wider than the packed one (padding bytes included).
TestImage randomImage(PixelFormat format, int width, int height, std::mt19937& rng) {
  TestImage t;
  const std::size_t stride = packedStride(format, width) + 6;
  const std::size_t rows = static_cast<std::size_t>(height) +
                           static_cast<std::size_t>(planeRows(format, height, 1));
  t.bytes.resize(stride * rows);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : t.bytes) b = static_cast<std::uint8_t>(byte(rng));
  t.view.format = format;
  t.view.width = width;
  t.view.height = height;
  t.view.planes = {t.bytes.data(), nullptr};
  t.view.strides = {stride, 0};
  if (format == PixelFormat::kNv12) {
    t.view.planes[1] = t.bytes.data() + stride * static_cast<std::size_t>(height);
    t.view.strides[1] = stride;
  }
  return t;
}

TEST(Preprocess, FastMatchesReference) {
  std::mt19937 rng(7);
  const PixelFormat formats[] = {PixelFormat::kYuyv, PixelFormat::kNv12, PixelFormat::kGrey,
                                 PixelFormat::kRgb24};
  // (source w, h) -> (model w, h): down, up, odd and prime sizes, 1-pixel models.
  const int sizes[][4] = {{640, 480, 128, 128}, {64, 48, 131, 97},  {2, 2, 7, 5},
                          {38, 22, 1, 1},       {1278, 718, 256, 256}, {30, 64, 17, 3}};
  int cases = 0;
  for (PixelFormat format : formats) {
    for (const auto& s : sizes) {
      int w = s[0], h = s[1];
      if (format == PixelFormat::kRgb24 || format == PixelFormat::kGrey) ++w, ++h;  // odd too
      const TestImage image = randomImage(format, w, h, rng);
      for (FitMode mode : {FitMode::kStretch, FitMode::kLetterbox, FitMode::kCrop}) {
        for (ChannelOrder order : {ChannelOrder::kRgb, ChannelOrder::kBgr}) {
          PreprocessSpec spec;
          spec.layout = (cases % 3 == 0) ? TensorLayout::kNhwc : TensorLayout::kNchw;
          spec.width = s[2];
          spec.height = s[3];
          spec.resize = mode;
          spec.order = order;
          spec.mean = {127.5F, 120.0F, 100.0F};
          spec.scale = {1 / 127.5F, 1 / 60.0F, 1 / 50.0F};
          spec.fill = 114;
          Result<Preprocessor> p = Preprocessor::create(format, w, h, spec);
          ASSERT_TRUE(p.ok()) << p.error().message();
          std::vector<float> want(p->outputFloats()), got(p->outputFloats(), -999.0F);
          p->runReference(image.view, want);
          p->run(image.view, got);
          p->run(image.view, got);  // twice: the row cache must not leak between frames
          for (std::size_t i = 0; i < want.size(); ++i) {
            ASSERT_NEAR(got[i], want[i], 1e-4F * (1 + std::abs(want[i])))
                << pixelFormatName(format) << " " << w << "x" << h << " -> " << s[2] << "x"
                << s[3] << " mode " << static_cast<int>(mode) << " order "
                << static_cast<int>(order) << " at " << i;
          }
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 4 * 6 * 3 * 2);
}

// One RGB24 pixel value everywhere: every output is (value - mean) * scale exactly, in the
// asked channel order.
TEST(Preprocess, FlatColourAndChannelOrder) {
  std::vector<std::uint8_t> rgb(5 * 3 * 3);
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = 10;
    rgb[i + 1] = 20;
    rgb[i + 2] = 30;
  }
  ImageView view{PixelFormat::kRgb24, 5, 3, {rgb.data(), nullptr}, {15, 0}};
  PreprocessSpec spec;
  spec.width = 4;
  spec.height = 4;
  spec.order = ChannelOrder::kBgr;
  spec.mean = {1, 2, 3};
  spec.scale = {0.5F, 0.25F, 2};
  Result<Preprocessor> p = Preprocessor::create(PixelFormat::kRgb24, 5, 3, spec);
  ASSERT_TRUE(p.ok());
  std::vector<float> out(p->outputFloats());
  p->runReference(view, out);
  for (int i = 0; i < 16; ++i) {
    EXPECT_FLOAT_EQ(out[i], (30 - 1) * 0.5F);        // B first
    EXPECT_FLOAT_EQ(out[16 + i], (20 - 2) * 0.25F);  // G
    EXPECT_FLOAT_EQ(out[32 + i], (10 - 3) * 2.0F);   // R last
  }
  spec.layout = TensorLayout::kNhwc;  // the same values, interleaved
  p = Preprocessor::create(PixelFormat::kRgb24, 5, 3, spec);
  ASSERT_TRUE(p.ok());
  p->run(view, out);
  for (int i = 0; i < 16; ++i) {
    EXPECT_FLOAT_EQ(out[3 * i], (30 - 1) * 0.5F);
    EXPECT_FLOAT_EQ(out[3 * i + 1], (20 - 2) * 0.25F);
    EXPECT_FLOAT_EQ(out[3 * i + 2], (10 - 3) * 2.0F);
  }
}

// BT.601 limited range: Y 16 is black, Y 235 white, and 75% yellow (162, 44, 142) is
// about (191, 191, 0).
TEST(Preprocess, Bt601LimitedRangeColours) {
  const std::uint8_t yuyv[] = {16, 128, 235, 128, 162, 44, 162, 142};
  ImageView view{PixelFormat::kYuyv, 4, 1, {yuyv, nullptr}, {8, 0}};
  PreprocessSpec spec;
  spec.width = 4;
  spec.height = 1;
  spec.scale = {1, 1, 1};
  Result<Preprocessor> p = Preprocessor::create(PixelFormat::kYuyv, 4, 1, spec);
  ASSERT_TRUE(p.ok());
  std::vector<float> out(p->outputFloats());
  p->runReference(view, out);
  const float want[3][4] = {{0, 255, 191, 191}, {0, 255, 191, 191}, {0, 255, 0, 0}};
  for (int c = 0; c < 3; ++c) {
    for (int x = 0; x < 4; ++x) EXPECT_NEAR(out[c * 4 + x], want[c][x], 1.5F) << c << " " << x;
  }
}

// A 4:3 frame letterboxed into a square: bands of `fill` above and below, the mapping takes
// model pixels back to frame pixels.
TEST(Preprocess, LetterboxGeometryAndMapping) {
  std::vector<std::uint8_t> grey(640 * 480, 200);
  ImageView view{PixelFormat::kGrey, 640, 480, {grey.data(), nullptr}, {640, 0}};
  PreprocessSpec spec;
  spec.width = 128;
  spec.height = 128;
  spec.resize = FitMode::kLetterbox;
  spec.scale = {1, 1, 1};
  spec.fill = 7;
  Result<Preprocessor> p = Preprocessor::create(PixelFormat::kGrey, 640, 480, spec);
  ASSERT_TRUE(p.ok());
  std::vector<float> out(p->outputFloats());
  p->run(view, out);
  // 480 * 128/640 = 96 rows of image, 16 rows of border above and below.
  EXPECT_FLOAT_EQ(out[15 * 128 + 64], 7);
  EXPECT_FLOAT_EQ(out[16 * 128 + 64], 200);
  EXPECT_FLOAT_EQ(out[111 * 128 + 64], 200);
  EXPECT_FLOAT_EQ(out[112 * 128 + 64], 7);
  const ImageMapping& m = p->mapping();
  EXPECT_FLOAT_EQ(m.toSourceX(0), 0);
  EXPECT_FLOAT_EQ(m.toSourceX(128), 640);
  EXPECT_FLOAT_EQ(m.toSourceY(16), 0);
  EXPECT_FLOAT_EQ(m.toSourceY(112), 480);

  spec.resize = FitMode::kCrop;  // 480x480 from the middle: columns 80..560
  p = Preprocessor::create(PixelFormat::kGrey, 640, 480, spec);
  ASSERT_TRUE(p.ok());
  EXPECT_FLOAT_EQ(p->mapping().toSourceX(0), 80);
  EXPECT_FLOAT_EQ(p->mapping().toSourceX(128), 560);
  EXPECT_FLOAT_EQ(p->mapping().toSourceY(128), 480);
}

TEST(Preprocess, RefusesWhatItCannotRead) {
  PreprocessSpec spec;
  spec.width = 8;
  spec.height = 8;
  EXPECT_FALSE(Preprocessor::create(PixelFormat::kMjpeg, 64, 64, spec).ok());
  EXPECT_FALSE(Preprocessor::create(PixelFormat::kYuyv, 63, 64, spec).ok());
  EXPECT_FALSE(Preprocessor::create(PixelFormat::kNv12, 64, 63, spec).ok());
  spec.width = 0;
  EXPECT_FALSE(Preprocessor::create(PixelFormat::kGrey, 64, 64, spec).ok());
  spec.width = 8;
  spec.mean[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(Preprocessor::create(PixelFormat::kGrey, 64, 64, spec).ok());
}

}  // namespace
}  // namespace edgert::kernels
