// The perspective crop of a frame region into a tensor (kernels/warp.hpp).
#include "edgert/kernels/warp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace edgert::kernels {
namespace {

using Corners = std::array<std::array<float, 2>, 4>;

// An RGB24 image whose pixel (x, y) is (x, y, x + y) (small sizes: values stay under 256).
struct TestImage {
  int width, height;
  std::vector<std::uint8_t> rgb;
  TestImage(int w, int h) : width(w), height(h), rgb(static_cast<std::size_t>(w * h * 3)) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const auto at = static_cast<std::size_t>((y * w + x) * 3);
        rgb[at] = static_cast<std::uint8_t>(x);
        rgb[at + 1] = static_cast<std::uint8_t>(y);
        rgb[at + 2] = static_cast<std::uint8_t>(x + y);
      }
    }
  }
  ImageView view() const { return packedImageView(PixelFormat::kRgb24, width, height, rgb.data()); }
};

WarpTarget plain(int w, int h) {
  WarpTarget t;
  t.tensorWidth = w;
  t.tensorHeight = h;
  t.pad = -7.0F;
  return t;
}

float at(const std::vector<float>& t, const WarpTarget& target, int c, int y, int x) {
  return t[static_cast<std::size_t>((c * target.tensorHeight + y) * target.tensorWidth + x)];
}

TEST(SquareToQuad, MapsTheUnitSquaresCornersOntoTheQuad) {
  const Corners q{{{10, 20}, {110, 5}, {130, 90}, {0, 70}}};  // not a parallelogram
  const SquareToQuad m = SquareToQuad::of(q);
  EXPECT_NE(m.g, 0.0);
  const std::array<std::array<double, 2>, 4> unit{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto p = m(unit[i][0], unit[i][1]);
    EXPECT_NEAR(p[0], q[i][0], 1e-9);
    EXPECT_NEAR(p[1], q[i][1], 1e-9);
  }
  // A parallelogram is affine: its centre maps to the mean of the corners.
  const SquareToQuad a = SquareToQuad::of({{{0, 0}, {40, 10}, {50, 30}, {10, 20}}});
  EXPECT_EQ(a.g, 0.0);
  EXPECT_EQ(a.h, 0.0);
  EXPECT_NEAR(a(0.5, 0.5)[0], 25.0, 1e-9);
  EXPECT_NEAR(a(0.5, 0.5)[1], 15.0, 1e-9);
}

TEST(WarpQuad, TheWholeImageAtItsOwnSizeIsACopyAndTheRestIsPadding) {
  const TestImage image(20, 10);
  const WarpTarget target = plain(32, 10);
  std::vector<float> out(3 * 32 * 10, 123.0F);
  warpQuad(image.view(), {{{0, 0}, {20, 0}, {20, 10}, {0, 10}}}, 20, 10, target, out);
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 32; ++x) {
      if (x < 20) {
        EXPECT_FLOAT_EQ(at(out, target, 0, y, x), static_cast<float>(x)) << x << "," << y;
        EXPECT_FLOAT_EQ(at(out, target, 1, y, x), static_cast<float>(y));
        EXPECT_FLOAT_EQ(at(out, target, 2, y, x), static_cast<float>(x + y));
      } else {
        for (int c = 0; c < 3; ++c) EXPECT_EQ(at(out, target, c, y, x), -7.0F);
      }
    }
  }
}

TEST(WarpQuad, CornersInAnotherOrderTurnThePatch) {
  const TestImage image(12, 8);
  // The patch's top-left is the image's top-right, and its top edge runs down the image's
  // right edge: the image turned a quarter anticlockwise, 8 wide and 12 high.
  const WarpTarget target = plain(8, 12);
  std::vector<float> out(3 * 8 * 12);
  warpQuad(image.view(), {{{12, 0}, {12, 8}, {0, 8}, {0, 0}}}, 8, 12, target, out);
  for (int j = 0; j < 12; ++j) {
    for (int i = 0; i < 8; ++i) {
      EXPECT_FLOAT_EQ(at(out, target, 0, j, i), static_cast<float>(11 - j)) << i << "," << j;
      EXPECT_FLOAT_EQ(at(out, target, 1, j, i), static_cast<float>(i));
    }
  }
}

TEST(WarpQuad, ScalesInterpolatesNormalisesAndOrdersChannels) {
  const TestImage image(40, 20);
  WarpTarget target = plain(10, 5);
  target.layout = TensorLayout::kNhwc;
  target.order = ChannelOrder::kBgr;
  target.mean = {1, 2, 3};
  target.scale = {0.5F, 0.25F, 2.0F};
  std::vector<float> out(3 * 10 * 5);
  // Half size: patch pixel i's centre (i + 0.5) * 2 lands on source x = 2i + 1 (continuous),
  // pixel-centre coordinate 2i + 0.5: between source pixels 2i and 2i + 1.
  warpQuad(image.view(), {{{0, 0}, {20, 0}, {20, 10}, {0, 10}}}, 10, 5, target, out);
  for (int j = 0; j < 5; ++j) {
    for (int i = 0; i < 10; ++i) {
      const float x = 2.0F * static_cast<float>(i) + 0.5F;
      const float y = 2.0F * static_cast<float>(j) + 0.5F;
      const std::size_t p = static_cast<std::size_t>((j * 10 + i) * 3);
      EXPECT_NEAR(out[p + 0], (x + y - 1) * 0.5F, 1e-4F);  // B first
      EXPECT_NEAR(out[p + 1], (y - 2) * 0.25F, 1e-4F);
      EXPECT_NEAR(out[p + 2], (x - 3) * 2.0F, 1e-4F);
    }
  }
}

TEST(WarpQuad, RegionsOutsideTheImageRepeatItsEdgeAndNanIsHarmless) {
  const TestImage image(16, 16);
  const WarpTarget target = plain(8, 4);
  std::vector<float> out(3 * 8 * 4, 0.0F);
  warpQuad(image.view(), {{{-100, -50}, {-60, -50}, {-60, -30}, {-100, -30}}}, 8, 4, target, out);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 8; ++x) EXPECT_EQ(at(out, target, 0, y, x), 0.0F);  // pixel (0, 0)
  }
  warpQuad(image.view(), {{{1e30F, 5}, {2e30F, 5}, {2e30F, 9}, {1e30F, 9}}}, 8, 4, target, out);
  EXPECT_EQ(at(out, target, 0, 0, 0), 15.0F);  // the right edge
  const float nan = std::numeric_limits<float>::quiet_NaN();
  warpQuad(image.view(), {{{nan, 0}, {8, nan}, {8, 8}, {0, 8}}}, 8, 4, target, out);
  for (float v : out) EXPECT_TRUE(std::isfinite(v));
  // A patch larger than the tensor is cut to it; a too-small output is left alone.
  warpQuad(image.view(), {{{0, 0}, {16, 0}, {16, 16}, {0, 16}}}, 100, 100, target, out);
  std::vector<float> tiny(5, 9.0F);
  warpQuad(image.view(), {{{0, 0}, {16, 0}, {16, 16}, {0, 16}}}, 8, 4, target, tiny);
  for (float v : tiny) EXPECT_EQ(v, 9.0F);
}

TEST(WarpQuad, YuyvFramesSampleLikePreprocessing) {
  // A grey YUYV frame: Y 16 + 2x, neutral chroma, converts to the same RGB everywhere in a
  // column; the crop of column x reads what pre-processing's conversion gives for it.
  const int w = 8, h = 2;
  std::vector<std::uint8_t> yuyv(static_cast<std::size_t>(w * h * 2));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      yuyv[static_cast<std::size_t>((y * w + x) * 2)] = static_cast<std::uint8_t>(16 + 20 * x);
      yuyv[static_cast<std::size_t>((y * w + x) * 2 + 1)] = 128;
    }
  }
  const ImageView view = packedImageView(PixelFormat::kYuyv, w, h, yuyv.data());
  const WarpTarget target = plain(w, h);
  std::vector<float> out(3 * w * h);
  warpQuad(view, {{{0, 0}, {8, 0}, {8, 2}, {0, 2}}}, w, h, target, out);
  for (int x = 0; x < w; ++x) {
    // BT.601 limited range: 298 * (Y - 16) / 256, rounded as pre-processing does.
    const float expected = static_cast<float>(std::min(255, (298 * 20 * x + 128) >> 8));
    EXPECT_EQ(at(out, target, 0, 0, x), expected) << x;
    EXPECT_EQ(at(out, target, 2, 1, x), expected) << x;
  }
}

}  // namespace
}  // namespace edgert::kernels
