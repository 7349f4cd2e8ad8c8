// BlazeFaceDecoder on synthetic outputs: the anchor layouts of both models, exact decoding
// of one box, weighted NMS, the thresholds and limits, and refused parameters. Expected
// values are worked out by hand in the comments from MediaPipe's conventions.
#include "edgert/runtime/postprocess.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace edgert::runtime {
namespace {

constexpr int kCoords = BlazeFaceDecoder::kCoords;

float sigmoid(float x) { return 1.0F / (1.0F + std::exp(-x)); }

// Model outputs with every logit far below any threshold and every regressor 0.
struct Outputs {
  explicit Outputs(const BlazeFaceDecoder& d)
      : scores(d.numAnchors(), -20.0F), regressors(d.numAnchors() * kCoords, 0.0F) {}
  // A box at the anchor's centre plus (dx, dy), w x h, keypoint k at centre + (k, -k).
  void set(std::size_t anchor, float logit, float dx, float dy, float w, float h) {
    scores[anchor] = logit;
    float* r = &regressors[anchor * kCoords];
    r[0] = dx;
    r[1] = dy;
    r[2] = w;
    r[3] = h;
    for (int k = 0; k < 6; ++k) {
      r[4 + 2 * k] = dx + static_cast<float>(k);
      r[5 + 2 * k] = dy - static_cast<float>(k);
    }
  }
  std::vector<float> scores;
  std::vector<float> regressors;
};

BlazeFaceDecoder makeDecoder(const BlazeFaceParams& params) {
  auto d = BlazeFaceDecoder::create(params);
  EXPECT_TRUE(d.ok()) << d.error().message();
  return std::move(d).value();
}

// Index of anchor `k` of cell (x, y) in the stride-16 head of the front model: after the
// 512 anchors of the 16x16 stride-8 head, 6 per cell, row by row.
std::size_t frontHead1Anchor(int x, int y, int k) {
  return 512 + static_cast<std::size_t>((y * 8 + x) * 6 + k);
}

TEST(BlazeFaceAnchors, FrontModelIs16x16x2Plus8x8x6) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  ASSERT_EQ(d.numAnchors(), 896U);
  ASSERT_EQ(d.headSizes().size(), 2U);
  EXPECT_EQ(d.headSizes()[0], 512U);
  EXPECT_EQ(d.headSizes()[1], 384U);
  const auto a = d.anchors();
  // Stride 8: cell centres at (x + 0.5) / 16 * 128 = 4 + 8x; two anchors per cell.
  EXPECT_FLOAT_EQ(a[0].x, 4.0F);
  EXPECT_FLOAT_EQ(a[0].y, 4.0F);
  EXPECT_FLOAT_EQ(a[1].x, 4.0F);
  EXPECT_FLOAT_EQ(a[2].x, 12.0F);
  EXPECT_FLOAT_EQ(a[2].y, 4.0F);
  EXPECT_FLOAT_EQ(a[32].x, 4.0F);  // the second row starts after 16 cells x 2
  EXPECT_FLOAT_EQ(a[32].y, 12.0F);
  EXPECT_FLOAT_EQ(a[511].x, 124.0F);
  EXPECT_FLOAT_EQ(a[511].y, 124.0F);
  // Stride 16 (three layers merged): centres at 8 + 16x, six anchors per cell.
  for (int k = 0; k < 6; ++k) {
    EXPECT_FLOAT_EQ(a[frontHead1Anchor(0, 0, k)].x, 8.0F);
    EXPECT_FLOAT_EQ(a[frontHead1Anchor(0, 0, k)].y, 8.0F);
  }
  EXPECT_FLOAT_EQ(a[frontHead1Anchor(1, 0, 0)].x, 24.0F);
  EXPECT_FLOAT_EQ(a[frontHead1Anchor(3, 2, 0)].x, 56.0F);
  EXPECT_FLOAT_EQ(a[frontHead1Anchor(3, 2, 0)].y, 40.0F);
  EXPECT_FLOAT_EQ(a[895].x, 120.0F);
  EXPECT_FLOAT_EQ(a[895].y, 120.0F);
}

TEST(BlazeFaceAnchors, BackModelIs16x16x2Plus8x8x6At256) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::back());
  ASSERT_EQ(d.numAnchors(), 896U);
  ASSERT_EQ(d.headSizes().size(), 2U);
  EXPECT_EQ(d.headSizes()[0], 512U);
  EXPECT_EQ(d.headSizes()[1], 384U);
  const auto a = d.anchors();
  // Stride 16 on 256: centres at 8 + 16x; stride 32: 16 + 32x.
  EXPECT_FLOAT_EQ(a[0].x, 8.0F);
  EXPECT_FLOAT_EQ(a[2].x, 24.0F);
  EXPECT_FLOAT_EQ(a[511].x, 248.0F);
  EXPECT_FLOAT_EQ(a[511].y, 248.0F);
  EXPECT_FLOAT_EQ(a[512].x, 16.0F);
  EXPECT_FLOAT_EQ(a[517].x, 16.0F);
  EXPECT_FLOAT_EQ(a[518].x, 48.0F);
  EXPECT_FLOAT_EQ(a[895].x, 240.0F);
  EXPECT_FLOAT_EQ(a[895].y, 240.0F);
}

TEST(BlazeFaceAnchors, FeatureMapsRoundUpLikeMediaPipe) {
  // 100 / 16 = 6.25: MediaPipe uses a 7x7 map spread over the whole input, so centres
  // are (x + 0.5) / 7 * 100, not (x + 0.5) * 16.
  BlazeFaceParams p;
  p.inputSize = 100;
  p.strides = {16};
  p.anchorsPerLayer = 1;
  BlazeFaceDecoder d = makeDecoder(p);
  ASSERT_EQ(d.numAnchors(), 49U);
  EXPECT_FLOAT_EQ(d.anchors()[0].x, 0.5F / 7.0F * 100.0F);
  EXPECT_FLOAT_EQ(d.anchors()[48].y, 6.5F / 7.0F * 100.0F);
}

TEST(BlazeFaceDecode, OneStrongFaceIsDecodedExactly) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  Outputs o(d);
  // Anchor at (56, 40); centre (58, 37); 30 x 36 -> box (43, 19)-(73, 55).
  o.set(frontHead1Anchor(3, 2, 1), 5.0F, 2.0F, -3.0F, 30.0F, 36.0F);
  std::array<Detection, 4> out;
  ASSERT_EQ(d.decode(o.scores, o.regressors, out), 1U);
  const Detection& f = out[0];
  EXPECT_FLOAT_EQ(f.score, sigmoid(5.0F));
  EXPECT_FLOAT_EQ(f.x0, 43.0F);
  EXPECT_FLOAT_EQ(f.y0, 19.0F);
  EXPECT_FLOAT_EQ(f.x1, 73.0F);
  EXPECT_FLOAT_EQ(f.y1, 55.0F);
  ASSERT_EQ(f.numKeypoints, 6);
  for (int k = 0; k < 6; ++k) {
    // Keypoint k: anchor + (2 + k, -3 - k).
    EXPECT_FLOAT_EQ(f.keypoints[static_cast<std::size_t>(k)][0], 58.0F + static_cast<float>(k)) << k;
    EXPECT_FLOAT_EQ(f.keypoints[static_cast<std::size_t>(k)][1], 37.0F - static_cast<float>(k)) << k;
  }
  EXPECT_EQ(f.classId, 0);
}

TEST(BlazeFaceDecode, PerHeadOutputsGiveTheSameAsConcatenated) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  Outputs o(d);
  o.set(5, 4.0F, 1.0F, 1.0F, 10.0F, 10.0F);                         // stride-8 head
  o.set(frontHead1Anchor(6, 6, 4), 3.0F, 0.0F, 0.0F, 40.0F, 40.0F);  // stride-16 head
  const std::span<const float> s(o.scores), r(o.regressors);
  const std::array<BlazeFaceHead, 2> heads{
      BlazeFaceHead{s.subspan(0, 512), r.subspan(0, 512 * kCoords)},
      BlazeFaceHead{s.subspan(512), r.subspan(512 * kCoords)}};
  ASSERT_TRUE(d.checkHeads(heads).ok());
  std::array<Detection, 4> a, b;
  ASSERT_EQ(d.decode(heads, a), 2U);
  ASSERT_EQ(d.decode(s, r, b), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a[i].score, b[i].score);
    EXPECT_EQ(a[i].x0, b[i].x0);
    EXPECT_EQ(a[i].y1, b[i].y1);
  }
  // Best first: the stride-8 face (logit 4), anchor 5 = cell (2, 0) at (20, 4), moved by
  // (1, 1), 10 x 10; then the stride-16 one at (104, 104), 40 x 40.
  EXPECT_FLOAT_EQ(a[0].score, sigmoid(4.0F));
  EXPECT_FLOAT_EQ(a[0].x0, 16.0F);
  EXPECT_FLOAT_EQ(a[0].y0, 0.0F);
  EXPECT_FLOAT_EQ(a[1].x0, 84.0F);
}

TEST(BlazeFaceDecode, OverlappingBoxesMergeIntoTheScoreWeightedAverage) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  Outputs o(d);
  // Two 30 x 36 boxes 4 px apart in the same cell: IoU = 26*36 / (2*30*36 - 26*36) =
  // 26/34 = 0.76 > 0.3. A third box far away stays on its own.
  o.set(frontHead1Anchor(3, 2, 0), 3.0F, 2.0F, -3.0F, 30.0F, 36.0F);  // (43, 19)-(73, 55)
  o.set(frontHead1Anchor(3, 2, 4), 2.0F, 6.0F, -3.0F, 30.0F, 36.0F);  // (47, 19)-(77, 55)
  o.set(frontHead1Anchor(7, 7, 0), 2.5F, 0.0F, 0.0F, 10.0F, 10.0F);   // (115, 115)-(125, 125)
  std::array<Detection, 4> out;
  ASSERT_EQ(d.decode(o.scores, o.regressors, out), 2U);
  const float wa = sigmoid(3.0F), wb = sigmoid(2.0F);
  const Detection& m = out[0];
  EXPECT_FLOAT_EQ(m.score, wa);  // the group keeps its best score
  EXPECT_FLOAT_EQ(m.x0, (wa * 43.0F + wb * 47.0F) / (wa + wb));
  EXPECT_FLOAT_EQ(m.x1, (wa * 73.0F + wb * 77.0F) / (wa + wb));
  EXPECT_FLOAT_EQ(m.y0, 19.0F);
  EXPECT_FLOAT_EQ(m.y1, 55.0F);
  // Keypoint 2: (58 + 2, 37 - 2) and (62 + 2, 37 - 2).
  EXPECT_FLOAT_EQ(m.keypoints[2][0], (wa * 60.0F + wb * 64.0F) / (wa + wb));
  EXPECT_FLOAT_EQ(m.keypoints[2][1], 35.0F);
  EXPECT_FLOAT_EQ(out[1].score, sigmoid(2.5F));
  EXPECT_FLOAT_EQ(out[1].x0, 115.0F);
}

TEST(BlazeFaceDecode, BoxesOverlappingAtMostTheThresholdStaySeparate) {
  BlazeFaceParams p = BlazeFaceParams::front();
  p.iouThreshold = 0.5F;
  BlazeFaceDecoder d = makeDecoder(p);
  Outputs o(d);
  // 30 x 30 boxes 10 px apart: IoU = 20*30 / (1800 - 600) = 0.5, not above 0.5.
  o.set(frontHead1Anchor(3, 3, 0), 3.0F, 0.0F, 0.0F, 30.0F, 30.0F);
  o.set(frontHead1Anchor(3, 3, 1), 2.0F, 10.0F, 0.0F, 30.0F, 30.0F);
  std::array<Detection, 4> out;
  ASSERT_EQ(d.decode(o.scores, o.regressors, out), 2U);
  EXPECT_FLOAT_EQ(boxIou(out[0], out[1]), 0.5F);
  EXPECT_FLOAT_EQ(out[0].x0, 41.0F);
  EXPECT_FLOAT_EQ(out[1].x0, 51.0F);
}

TEST(BlazeFaceDecode, ScoresBelowTheThresholdAreIgnored) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());  // 0.75
  Outputs o(d);
  o.set(100, 1.0F, 0.0F, 0.0F, 10.0F, 10.0F);  // sigmoid(1.0) = 0.731
  std::array<Detection, 4> out;
  EXPECT_EQ(d.decode(o.scores, o.regressors, out), 0U);
  o.set(100, 1.1F, 0.0F, 0.0F, 10.0F, 10.0F);  // sigmoid(1.1) = 0.7503
  ASSERT_EQ(d.decode(o.scores, o.regressors, out), 1U);
  EXPECT_GE(out[0].score, 0.75F);
  // A NaN logit is never a detection.
  o.scores[100] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(d.decode(o.scores, o.regressors, out), 0U);
}

TEST(BlazeFaceDecode, HugeLogitsAreClippedNotOverflowed) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  Outputs o(d);
  o.set(7, 1e30F, 0.0F, 0.0F, 8.0F, 8.0F);
  o.set(9, -std::numeric_limits<float>::infinity(), 0.0F, 0.0F, 8.0F, 8.0F);
  std::array<Detection, 4> out;
  ASSERT_EQ(d.decode(o.scores, o.regressors, out), 1U);
  EXPECT_FLOAT_EQ(out[0].score, 1.0F);
}

TEST(BlazeFaceDecode, MaxDetectionsAndTheOutputSizeLimitTheResult) {
  BlazeFaceParams p = BlazeFaceParams::front();
  p.maxDetections = 3;
  BlazeFaceDecoder d = makeDecoder(p);
  Outputs o(d);
  // Five separate 8 x 8 boxes on the diagonal, best last.
  for (int i = 0; i < 5; ++i) {
    o.set(frontHead1Anchor(i, i, 0), 2.0F + static_cast<float>(i), 0.0F, 0.0F, 8.0F, 8.0F);
  }
  std::array<Detection, 8> out;
  ASSERT_EQ(d.decode(o.scores, o.regressors, out), 3U);
  EXPECT_FLOAT_EQ(out[0].score, sigmoid(6.0F));
  EXPECT_FLOAT_EQ(out[0].x0, 72.0F - 4.0F);
  EXPECT_FLOAT_EQ(out[1].score, sigmoid(5.0F));
  EXPECT_FLOAT_EQ(out[2].score, sigmoid(4.0F));
  // A smaller output span wins over maxDetections; an empty one gets nothing.
  EXPECT_EQ(d.decode(o.scores, o.regressors, std::span<Detection>(out).first(2)), 2U);
  EXPECT_FLOAT_EQ(out[1].score, sigmoid(5.0F));
  EXPECT_EQ(d.decode(o.scores, o.regressors, std::span<Detection>{}), 0U);
}

TEST(BlazeFaceDecode, EveryAnchorAboveTheThresholdStillFits) {
  // The scratch is sized for all anchors: a frame where every one fires decodes fine.
  BlazeFaceParams p = BlazeFaceParams::front();
  p.maxDetections = 1000;
  BlazeFaceDecoder d = makeDecoder(p);
  Outputs o(d);
  for (std::size_t a = 0; a < d.numAnchors(); ++a) o.set(a, 3.0F, 0.0F, 0.0F, 2.0F, 2.0F);
  std::vector<Detection> out(1000);
  // Same-cell anchors coincide and merge; the 2 px boxes of different cells never touch.
  EXPECT_EQ(d.decode(o.scores, o.regressors, out), 16U * 16U + 8U * 8U);
}

TEST(BlazeFaceDecode, WrongOutputSizesAreRefused) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  Outputs o(d);
  o.set(3, 5.0F, 0.0F, 0.0F, 8.0F, 8.0F);
  std::array<Detection, 4> out;
  const std::span<const float> s(o.scores), r(o.regressors);
  EXPECT_EQ(d.decode(s.first(895), r, out), 0U);
  EXPECT_EQ(d.decode(s, r.first(896 * kCoords - 1), out), 0U);

  const std::array<BlazeFaceHead, 1> one{BlazeFaceHead{s, r}};
  auto r1 = d.checkHeads(one);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().message(), "BlazeFace: 1 output heads given: the layout has 2");
  EXPECT_EQ(d.decode(one, out), 0U);

  const std::array<BlazeFaceHead, 2> swapped{
      BlazeFaceHead{s.subspan(512), r.subspan(512 * kCoords)},
      BlazeFaceHead{s.subspan(0, 512), r.subspan(0, 512 * kCoords)}};
  auto r2 = d.checkHeads(swapped);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().message(), "BlazeFace: head 0 (stride 8): 384 scores: expected 512");
  EXPECT_EQ(d.decode(swapped, out), 0U);
}

TEST(BlazeFaceDecode, MemoryIsHeldForEveryAnchor) {
  BlazeFaceDecoder d = makeDecoder(BlazeFaceParams::front());
  EXPECT_GE(d.memoryBytes(), 896U * sizeof(Detection));
}

struct BadParams {
  const char* what;
  void (*change)(BlazeFaceParams&);
  const char* message;
};

TEST(BlazeFaceParams, BadParametersAreRefusedByName) {
  const BadParams cases[] = {
      {"inputSize 0", [](BlazeFaceParams& p) { p.inputSize = 0; },
       "BlazeFace: inputSize 0: expected 1 to 4096 pixels"},
      {"no strides", [](BlazeFaceParams& p) { p.strides.clear(); },
       "BlazeFace: strides has 0 entries: expected 1 to 64"},
      {"stride 0", [](BlazeFaceParams& p) { p.strides[2] = 0; },
       "BlazeFace: strides[2] = 0: expected 1 to inputSize (128)"},
      {"stride too big", [](BlazeFaceParams& p) { p.strides[0] = 256; },
       "BlazeFace: strides[0] = 256: expected 1 to inputSize (128)"},
      {"anchorsPerLayer 0", [](BlazeFaceParams& p) { p.anchorsPerLayer = 0; },
       "BlazeFace: anchorsPerLayer 0: expected 1 to 64"},
      {"anchorOffset", [](BlazeFaceParams& p) { p.anchorOffset = 1.5F; },
       "BlazeFace: anchorOffset 1.5: expected 0 to 1 (cells)"},
      {"scoreThreshold", [](BlazeFaceParams& p) { p.scoreThreshold = 1.5F; },
       "BlazeFace: scoreThreshold 1.5: expected 0 to 1"},
      {"scoreThreshold NaN",
       [](BlazeFaceParams& p) { p.scoreThreshold = std::numeric_limits<float>::quiet_NaN(); },
       "BlazeFace: scoreThreshold nan: expected 0 to 1"},
      {"iouThreshold", [](BlazeFaceParams& p) { p.iouThreshold = -0.25F; },
       "BlazeFace: iouThreshold -0.25: expected 0 to 1"},
      {"maxDetections", [](BlazeFaceParams& p) { p.maxDetections = 0; },
       "BlazeFace: maxDetections 0: expected at least 1"},
      {"logitClip", [](BlazeFaceParams& p) { p.logitClip = 0.0F; },
       "BlazeFace: logitClip 0: expected a finite value above 0"},
      {"too many anchors",
       [](BlazeFaceParams& p) {
         p.inputSize = 4096;
         p.strides = {1};
       },
       "BlazeFace: strides and anchorsPerLayer give 33554432 anchors: expected at most 1048576"},
  };
  for (const BadParams& c : cases) {
    BlazeFaceParams p = BlazeFaceParams::front();
    c.change(p);
    auto d = BlazeFaceDecoder::create(p);
    ASSERT_FALSE(d.ok()) << c.what;
    EXPECT_EQ(d.error().code(), Errc::kInvalidArgument) << c.what;
    EXPECT_EQ(d.error().message(), c.message) << c.what;
  }
}

TEST(Detections, IouAndMappingToTheSource) {
  Detection a;
  a.x0 = 0, a.y0 = 0, a.x1 = 10, a.y1 = 10;
  Detection b = a;
  b.x0 = 5, b.x1 = 15;
  EXPECT_FLOAT_EQ(boxIou(a, a), 1.0F);
  EXPECT_FLOAT_EQ(boxIou(a, b), 50.0F / 150.0F);
  Detection c = a;
  c.x0 = 10, c.x1 = 20;  // touching edges do not overlap
  EXPECT_EQ(boxIou(a, c), 0.0F);
  Detection empty;
  EXPECT_EQ(boxIou(empty, empty), 0.0F);

  a.numKeypoints = 1;
  a.keypoints[0] = {2, 3};
  const kernels::ImageMapping m{4.0F, 1.0F, 2.0F, -8.0F};
  const Detection s = toSourcePixels(a, m);
  EXPECT_FLOAT_EQ(s.x0, 1.0F);
  EXPECT_FLOAT_EQ(s.x1, 41.0F);
  EXPECT_FLOAT_EQ(s.y0, -8.0F);
  EXPECT_FLOAT_EQ(s.y1, 12.0F);
  EXPECT_FLOAT_EQ(s.keypoints[0][0], 9.0F);
  EXPECT_FLOAT_EQ(s.keypoints[0][1], -2.0F);
}

}  // namespace
}  // namespace edgert::runtime
