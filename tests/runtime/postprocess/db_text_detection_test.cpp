// DbTextDetector on probability maps drawn here: exact geometry of an axis-aligned region
// (the unclip distance worked out by hand in the comments), rotated lines, the thresholds,
// 8-connectivity, the maxRegions cut and reading order, hostile values and refused
// parameters. Corners are in the continuous map frame of text_detection.hpp: the pixel at
// index i spans [i, i+1), so a pixel centre is at i + 0.5.
#include "edgert/runtime/text_detection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace edgert::runtime {
namespace {

struct Map {
  Map(int w, int h) : width(w), height(h), p(static_cast<std::size_t>(w * h), 0.0F) {}
  float& at(int x, int y) { return p[static_cast<std::size_t>(y * width + x)]; }
  // Pixels x0..x1, y0..y1 (inclusive) set to `value`.
  void fill(int x0, int y0, int x1, int y1, float value) {
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) at(x, y) = value;
    }
  }
  // Every pixel whose centre lies in the rectangle centred on pixel centre (cx, cy), with
  // half lengths `halfLong` along the direction `degrees` (clockwise on the screen, y down)
  // and `halfShort` across it.
  void fillRotated(float cx, float cy, float halfLong, float halfShort, float degrees, float value) {
    const float a = degrees * std::numbers::pi_v<float> / 180.0F;
    const float c = std::cos(a);
    const float s = std::sin(a);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const float dx = static_cast<float>(x) - cx;
        const float dy = static_cast<float>(y) - cy;
        if (std::abs(dx * c + dy * s) <= halfLong && std::abs(-dx * s + dy * c) <= halfShort) {
          at(x, y) = value;
        }
      }
    }
  }
  int width;
  int height;
  std::vector<float> p;
};

DbTextDetector makeDetector(const Map& map, const DbParams& params = {}) {
  auto d = DbTextDetector::create(params, map.width, map.height);
  EXPECT_TRUE(d.ok()) << d.error().message();
  return std::move(d).value();
}

float distance(Point a, Point b) { return std::hypot(b.x - a.x, b.y - a.y); }
float degreesOf(Point from, Point to) {
  return std::atan2(to.y - from.y, to.x - from.x) * 180.0F / std::numbers::pi_v<float>;
}

void expectPoint(Point p, float x, float y, const char* which) {
  EXPECT_NEAR(p.x, x, 0.01F) << which;
  EXPECT_NEAR(p.y, y, 0.01F) << which;
}

TEST(DbTextDetection, AxisAlignedRectangleGrowsByTheUnclipDistance) {
  Map map(64, 48);
  map.fill(10, 20, 49, 29, 0.9F);  // 40 x 10 pixels
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  // Pixel centres span x 10..49, y 20..29: a 39 x 9 rectangle (as cv2.minAreaRect on the
  // contour gives). d = area * 1.5 / perimeter = 351 * 1.5 / 96 = 5.484375 on every side,
  // then + 0.5 into the continuous frame.
  const float dist = 39.0F * 9.0F * 1.5F / 96.0F;
  const Quad& q = out[0].quad;
  expectPoint(q[0], 10.0F - dist + 0.5F, 20.0F - dist + 0.5F, "p0 top-left");
  expectPoint(q[1], 49.0F + dist + 0.5F, 20.0F - dist + 0.5F, "p1 top-right");
  expectPoint(q[2], 49.0F + dist + 0.5F, 29.0F + dist + 0.5F, "p2 bottom-right");
  expectPoint(q[3], 10.0F - dist + 0.5F, 29.0F + dist + 0.5F, "p3 bottom-left");
  EXPECT_NEAR(out[0].score, 0.9F, 1e-5F);
}

TEST(DbTextDetection, UnclipRatioScalesTheGrowth) {
  Map map(64, 48);
  map.fill(10, 20, 49, 29, 0.9F);
  DbParams params;
  params.unclipRatio = 2.0F;
  DbTextDetector d = makeDetector(map, params);
  std::array<TextRegion, 1> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  const float dist = 39.0F * 9.0F * 2.0F / 96.0F;  // 7.3125
  expectPoint(out[0].quad[0], 10.0F - dist + 0.5F, 20.0F - dist + 0.5F, "p0");
  expectPoint(out[0].quad[2], 49.0F + dist + 0.5F, 29.0F + dist + 0.5F, "p2");
}

// A line of 81 x 17 pixel centres (half lengths 40 and 8) turned by `degrees`.
void checkRotatedLine(float degrees) {
  SCOPED_TRACE(testing::Message() << degrees << " degrees");
  Map map(128, 96);
  map.fillRotated(64.0F, 48.0F, 40.0F, 8.0F, degrees, 0.8F);
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  const Quad& q = out[0].quad;
  EXPECT_NEAR(out[0].score, 0.8F, 1e-5F);
  // The long side runs p0 -> p1 (and p3 -> p2) at the line's angle.
  EXPECT_GT(distance(q[0], q[1]), 2.0F * distance(q[1], q[2]));
  EXPECT_NEAR(degreesOf(q[0], q[1]), degrees, 1.5F);
  EXPECT_NEAR(degreesOf(q[3], q[2]), degrees, 1.5F);
  // p0 is the top-left on the screen: left of p1, above p3, and the smallest x + y.
  EXPECT_LT(q[0].x, q[1].x);
  EXPECT_LT(q[0].y, q[3].y);
  for (int k = 1; k < 4; ++k) EXPECT_LT(q[0].x + q[0].y, q[k].x + q[k].y) << "corner " << k;
  // Clockwise on the screen (y down): every turn p(k) -> p(k+1) -> p(k+2) is positive in
  // x-right/y-down terms.
  for (int k = 0; k < 4; ++k) {
    const Point a = q[static_cast<std::size_t>(k)];
    const Point b = q[static_cast<std::size_t>((k + 1) % 4)];
    const Point c = q[static_cast<std::size_t>((k + 2) % 4)];
    EXPECT_GT((b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x), 0.0F) << "corner " << k;
  }
  // Centred on pixel (64, 48), whose centre is at (64.5, 48.5).
  const float cx = (q[0].x + q[1].x + q[2].x + q[3].x) / 4.0F;
  const float cy = (q[0].y + q[1].y + q[2].y + q[3].y) / 4.0F;
  EXPECT_NEAR(cx, 64.5F, 0.5F);
  EXPECT_NEAR(cy, 48.5F, 0.5F);
  // Sides about 80 x 16 before growing, d = 80 * 16 * 1.5 / 192 = 10: about 100 x 36.
  EXPECT_NEAR(distance(q[0], q[1]), 100.0F, 2.0F);
  EXPECT_NEAR(distance(q[1], q[2]), 36.0F, 2.0F);
}

TEST(DbTextDetection, LineTurnedTenDegreesClockwise) { checkRotatedLine(10.0F); }
TEST(DbTextDetection, LineTurnedTenDegreesAnticlockwise) { checkRotatedLine(-10.0F); }
TEST(DbTextDetection, LineTurnedFortyDegrees) { checkRotatedLine(40.0F); }

TEST(DbTextDetection, TallRegionStartsAtItsTopLeftAlongTheShortSide) {
  // 17 wide, 81 tall, turned 5 degrees: the side within 45 degrees of +x is the short one.
  Map map(96, 128);
  map.fillRotated(48.0F, 64.0F, 8.0F, 40.0F, 5.0F, 0.8F);
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 2> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  const Quad& q = out[0].quad;
  EXPECT_NEAR(degreesOf(q[0], q[1]), 5.0F, 1.5F);
  EXPECT_LT(2.0F * distance(q[0], q[1]), distance(q[1], q[2]));
  for (int k = 1; k < 4; ++k) EXPECT_LT(q[0].x + q[0].y, q[k].x + q[k].y) << "corner " << k;
}

TEST(DbTextDetection, RegionUnderBoxThresholdIsDropped) {
  Map map(64, 64);
  map.fill(5, 5, 44, 14, 0.5F);  // above threshold 0.3, mean under 0.6
  // Left half 0.75, right half 0.35: mean 0.55, dropped.
  map.fill(5, 25, 24, 34, 0.75F);
  map.fill(25, 25, 44, 34, 0.35F);
  // Left half 0.9, right half 0.35: mean 0.625, kept with that score.
  map.fill(5, 45, 24, 54, 0.9F);
  map.fill(25, 45, 44, 54, 0.35F);
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  EXPECT_NEAR(out[0].score, 0.625F, 1e-5F);
  EXPECT_NEAR(out[0].quad[0].y, 45.0F - 39.0F * 9.0F * 1.5F / 96.0F + 0.5F, 0.01F);
}

TEST(DbTextDetection, SmallAndThinRegionsAreDropped) {
  Map map(64, 64);
  map.fill(5, 5, 6, 6, 0.9F);      // 2 x 2 pixels: a 1 x 1 rectangle, under minSize 3
  map.fill(5, 20, 34, 22, 0.9F);   // 3 pixels thick: short side 2, dropped
  map.fill(5, 40, 34, 43, 0.9F);   // 4 pixels thick: short side 3, kept
  map.fill(50, 5, 50, 60, 0.9F);   // 1 pixel wide: a segment, short side 0
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  // The kept one: 29 x 3, d = 87 * 1.5 / 64.
  const float dist = 29.0F * 3.0F * 1.5F / 64.0F;
  expectPoint(out[0].quad[0], 5.0F - dist + 0.5F, 40.0F - dist + 0.5F, "p0");
  expectPoint(out[0].quad[2], 34.0F + dist + 0.5F, 43.0F + dist + 0.5F, "p2");
}

TEST(DbTextDetection, GrownShortSideUnderMinSizePlusTwoIsDropped) {
  // 30 x 4 pixels: short side 3 passes minSize 3. With unclipRatio 0.1 it grows by
  // 29 * 3 * 0.1 / 64 = 0.136 per side to 3.27, under minSize + 2 = 5.
  Map map(64, 64);
  map.fill(5, 40, 34, 43, 0.9F);
  DbParams params;
  params.unclipRatio = 0.1F;
  DbTextDetector d = makeDetector(map, params);
  std::array<TextRegion, 4> out;
  EXPECT_EQ(d.detect(map.p, out), 0U);
}

TEST(DbTextDetection, DiagonalTouchJoinsRegions) {
  Map map(64, 64);
  map.fill(10, 10, 19, 19, 0.9F);
  map.fill(20, 20, 29, 29, 0.9F);  // touches the first only at a corner
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> out;
  ASSERT_EQ(d.detect(map.p, out), 1U);
  // One region spanning both blocks: its quad covers pixel centres (10.5, 10.5) to
  // (29.5, 29.5).
  float minX = 1e9F, minY = 1e9F, maxX = -1e9F, maxY = -1e9F;
  for (const Point& p : out[0].quad) {
    minX = std::min(minX, p.x);
    minY = std::min(minY, p.y);
    maxX = std::max(maxX, p.x);
    maxY = std::max(maxY, p.y);
  }
  EXPECT_LT(minX, 10.5F);
  EXPECT_LT(minY, 10.5F);
  EXPECT_GT(maxX, 29.5F);
  EXPECT_GT(maxY, 29.5F);

  // A one-pixel gap keeps them apart.
  Map apart(64, 64);
  apart.fill(10, 10, 19, 19, 0.9F);
  apart.fill(21, 21, 30, 30, 0.9F);
  EXPECT_EQ(d.detect(apart.p, out), 2U);
}

// Line i at rows 10 + 20 i .. +7, columns 10..69, with score 0.62 + 0.015 * ((7 i) % 20):
// distinct, in an order unrelated to the position.
float lineScore(int i) { return 0.62F + 0.015F * static_cast<float>((7 * i) % 20); }

TEST(DbTextDetection, KeepsTheBestMaxRegionsInReadingOrder) {
  Map map(80, 420);
  for (int i = 0; i < 20; ++i) map.fill(10, 10 + 20 * i, 69, 17 + 20 * i, lineScore(i));
  DbTextDetector d = makeDetector(map);  // maxRegions 16
  std::array<TextRegion, 32> out;
  ASSERT_EQ(d.detect(map.p, out), 16U);
  // The four worst, (7 i) % 20 in 0..3, are i = 0, 3, 6, 9 (0, 1, 2, 3).
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) {
    if ((7 * i) % 20 >= 4) expected.push_back(i);
  }
  ASSERT_EQ(expected.size(), 16U);
  for (std::size_t k = 0; k < 16; ++k) {
    const int i = expected[k];
    EXPECT_NEAR(out[k].score, lineScore(i), 1e-5F) << "region " << k;
    // Top to bottom: line i's pixel rows start at 10 + 20 i.
    EXPECT_NEAR(out[k].quad[0].y, static_cast<float>(10 + 20 * i) - 59.0F * 7.0F * 1.5F / 132.0F + 0.5F,
                0.01F)
        << "region " << k;
  }

  // Room for 3 only: the 3 best (scores for (7 i) % 20 = 19, 18, 17: i = 17, 14, 11),
  // still top to bottom.
  std::array<TextRegion, 3> few;
  ASSERT_EQ(d.detect(map.p, few), 3U);
  EXPECT_NEAR(few[0].score, lineScore(11), 1e-5F);
  EXPECT_NEAR(few[1].score, lineScore(14), 1e-5F);
  EXPECT_NEAR(few[2].score, lineScore(17), 1e-5F);
}

TEST(DbTextDetection, WordsOfOneLineComeLeftToRight) {
  Map map(160, 80);
  map.fill(90, 8, 140, 21, 0.95F);  // right word: taller, starts higher, best score
  map.fill(10, 10, 70, 19, 0.7F);   // left word, same line
  map.fill(10, 45, 140, 54, 0.8F);  // the next line
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 8> out;
  ASSERT_EQ(d.detect(map.p, out), 3U);
  EXPECT_NEAR(out[0].score, 0.7F, 1e-5F);
  EXPECT_NEAR(out[1].score, 0.95F, 1e-5F);
  EXPECT_NEAR(out[2].score, 0.8F, 1e-5F);
  EXPECT_LT(out[0].quad[1].x, out[1].quad[0].x);
}

TEST(DbTextDetection, NanIsBackground) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Map map(64, 48);
  map.fill(10, 20, 49, 29, 0.9F);
  map.fill(30, 0, 30, 47, nan);  // a NaN column cuts the block in two
  map.at(15, 25) = nan;          // and a hole in the left half changes nothing
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> out;
  ASSERT_EQ(d.detect(map.p, out), 2U);
  for (std::size_t k = 0; k < 2; ++k) EXPECT_NEAR(out[k].score, 0.9F, 1e-5F);
  EXPECT_LT(out[0].quad[1].x, out[1].quad[1].x);  // left half first

  Map allNan(64, 48);
  std::fill(allNan.p.begin(), allNan.p.end(), nan);
  EXPECT_EQ(d.detect(allNan.p, out), 0U);
}

TEST(DbTextDetection, EmptyAndFullMaps) {
  Map zero(32, 24);
  DbTextDetector d = makeDetector(zero);
  std::array<TextRegion, 4> out;
  EXPECT_EQ(d.detect(zero.p, out), 0U);

  // All ones: one region whose grown rectangle overflows the map and is clamped to it.
  Map ones(32, 24);
  std::fill(ones.p.begin(), ones.p.end(), 1.0F);
  ASSERT_EQ(d.detect(ones.p, out), 1U);
  EXPECT_NEAR(out[0].score, 1.0F, 1e-6F);
  expectPoint(out[0].quad[0], 0.0F, 0.0F, "p0");
  expectPoint(out[0].quad[1], 32.0F, 0.0F, "p1");
  expectPoint(out[0].quad[2], 32.0F, 24.0F, "p2");
  expectPoint(out[0].quad[3], 0.0F, 24.0F, "p3");

  // A 1 x 1 map and a map of the wrong size.
  Map one(1, 1);
  one.p[0] = 1.0F;
  DbTextDetector tiny = makeDetector(one);
  EXPECT_EQ(tiny.detect(one.p, out), 0U);
  EXPECT_EQ(d.detect(one.p, out), 0U);
  EXPECT_EQ(d.detect(ones.p, std::span<TextRegion>()), 0U);
}

TEST(DbTextDetection, RepeatedCallsGiveTheSameResult) {
  // Scratch left over from one frame (row extremes, the mask) must not leak into the next.
  Map map(128, 96);
  map.fillRotated(64.0F, 48.0F, 40.0F, 8.0F, 10.0F, 0.8F);
  map.fill(5, 80, 60, 90, 0.9F);
  DbTextDetector d = makeDetector(map);
  std::array<TextRegion, 4> first, second;
  ASSERT_EQ(d.detect(map.p, first), 2U);
  Map other(128, 96);
  other.fill(0, 0, 127, 95, 0.7F);
  ASSERT_EQ(d.detect(other.p, second), 1U);
  ASSERT_EQ(d.detect(map.p, second), 2U);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(first[k].score, second[k].score);
    for (std::size_t c = 0; c < 4; ++c) {
      EXPECT_EQ(first[k].quad[c].x, second[k].quad[c].x);
      EXPECT_EQ(first[k].quad[c].y, second[k].quad[c].y);
    }
  }
}

TEST(DbTextDetection, MemoryIsSizedForTheMap) {
  auto d = DbTextDetector::create({}, 640, 480);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_GE(d->memoryBytes(), std::size_t{640} * 480 * 5);  // mask and pixel stack
  EXPECT_LT(d->memoryBytes(), std::size_t{640} * 480 * 6);
  EXPECT_EQ(d->mapWidth(), 640);
  EXPECT_EQ(d->mapHeight(), 480);
  EXPECT_EQ(d->params().maxRegions, 16);
}

void expectRefused(const DbParams& params, int width, int height, const char* text) {
  auto d = DbTextDetector::create(params, width, height);
  ASSERT_FALSE(d.ok()) << text;
  EXPECT_EQ(d.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(d.error().message().find(text), std::string::npos)
      << "\"" << d.error().message() << "\" lacks \"" << text << "\"";
}

TEST(DbTextDetection, CreateRefusesBadParameters) {
  const auto with = [](auto change) {
    DbParams p;
    change(p);
    return p;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  expectRefused(with([](DbParams& p) { p.threshold = 0.0F; }), 64, 64, "threshold 0:");
  expectRefused(with([](DbParams& p) { p.threshold = 1.0F; }), 64, 64, "threshold 1:");
  expectRefused(with([nan](DbParams& p) { p.threshold = nan; }), 64, 64, "threshold nan");
  expectRefused(with([](DbParams& p) { p.boxThreshold = 1.5F; }), 64, 64, "boxThreshold 1.5");
  expectRefused(with([](DbParams& p) { p.boxThreshold = -0.1F; }), 64, 64, "boxThreshold -0.1");
  expectRefused(with([](DbParams& p) { p.unclipRatio = 0.0F; }), 64, 64, "unclipRatio 0");
  expectRefused(with([inf](DbParams& p) { p.unclipRatio = inf; }), 64, 64, "unclipRatio inf");
  expectRefused(with([](DbParams& p) { p.minSize = 0; }), 64, 64, "minSize 0");
  expectRefused(with([](DbParams& p) { p.maxRegions = 0; }), 64, 64, "maxRegions 0");
  expectRefused(with([](DbParams& p) { p.maxRegions = 1025; }), 64, 64, "maxRegions 1025");
  expectRefused({}, 0, 64, "mapWidth 0");
  expectRefused({}, 8193, 64, "mapWidth 8193");
  expectRefused({}, 64, -1, "mapHeight -1");
  expectRefused({}, 64, 8193, "mapHeight 8193");
  EXPECT_TRUE(DbTextDetector::create({}, 8192, 1).ok());
  EXPECT_TRUE(DbTextDetector::create(with([](DbParams& p) { p.maxRegions = 1024; }), 1, 1).ok());
}

}  // namespace
}  // namespace edgert::runtime
