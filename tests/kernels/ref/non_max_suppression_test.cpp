// NonMaxSuppression's reference kernel: the ONNX examples' boxes (suppression by IoU, flipped
// corners, centers, a score threshold), the padded rows and their count, several batches and
// classes, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

NmsParams params(std::int64_t most, float iou, std::optional<float> score = {}, bool center = false) {
  NmsParams p;
  p.maxPerClass = most;
  p.iouThreshold = iou;
  if (score) {
    p.hasScoreThreshold = 1;
    p.scoreThreshold = *score;
  }
  p.centerPointBox = center ? 1 : 0;
  return p;
}

// Six unit boxes: three overlapping near the origin, two near x = 10, one alone at x = 100.
const std::vector<float> kCorners = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f,
                                     0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101};
const std::vector<float> kScores = {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f};

std::vector<std::int64_t> rowsOf(const std::vector<Buffer>& out) { return valuesOf<std::int64_t>(out[0]); }
std::int64_t countOf(const std::vector<Buffer>& out) { return valuesOf<std::int64_t>(out[1])[0]; }

TEST(NonMaxSuppressionRef, SuppressesByIouAndPadsToTheBound) {
  const Buffer boxes = floats(Shape::of({1, 6, 4}), kCorners);
  const Buffer scores = floats(Shape::of({1, 1, 6}), kScores);
  NmsParams p = params(3, 0.5f, 0.0f);
  auto out = runOpOutputs(OpCode::kNonMaxSuppression, &p, {&boxes, &scores}, 2);
  EXPECT_EQ(out[0].type.shape, Shape::of({3, 3}));
  EXPECT_EQ(rowsOf(out), (std::vector<std::int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
  EXPECT_EQ(countOf(out), 3);
  p = params(10, 0.5f, 0.0f);  // bound 6, three kept
  out = runOpOutputs(OpCode::kNonMaxSuppression, &p, {&boxes, &scores}, 2);
  EXPECT_EQ(rowsOf(out), (std::vector<std::int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(countOf(out), 3);
  p = params(10, 0.5f, 0.4f);  // the lone box scores 0.3: dropped
  out = runOpOutputs(OpCode::kNonMaxSuppression, &p, {&boxes, &scores}, 2);
  EXPECT_EQ(countOf(out), 2);
  p = params(10, 1.0f);  // nothing overlaps more than itself: all six, by score
  out = runOpOutputs(OpCode::kNonMaxSuppression, &p, {&boxes, &scores}, 2);
  EXPECT_EQ(rowsOf(out), (std::vector<std::int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 4, 0, 0, 5}));
}

TEST(NonMaxSuppressionRef, FlippedCornersCentersBatchesAndClasses) {
  // The same boxes with corners swapped, and as centers.
  std::vector<float> flipped = kCorners;
  for (std::size_t i = 0; i < flipped.size(); i += 4) {
    std::swap(flipped[i], flipped[i + 2]);
    std::swap(flipped[i + 1], flipped[i + 3]);
  }
  std::vector<float> centers;
  for (std::size_t i = 0; i < kCorners.size(); i += 4) {
    centers.insert(centers.end(), {(kCorners[i + 1] + kCorners[i + 3]) / 2, (kCorners[i] + kCorners[i + 2]) / 2, 1, 1});
  }
  const Buffer scores = floats(Shape::of({1, 1, 6}), kScores);
  NmsParams p = params(3, 0.5f);
  const Buffer f = floats(Shape::of({1, 6, 4}), flipped);
  EXPECT_EQ(rowsOf(runOpOutputs(OpCode::kNonMaxSuppression, &p, {&f, &scores}, 2)),
            (std::vector<std::int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
  p = params(3, 0.5f, {}, true);
  const Buffer c = floats(Shape::of({1, 6, 4}), centers);
  EXPECT_EQ(rowsOf(runOpOutputs(OpCode::kNonMaxSuppression, &p, {&c, &scores}, 2)),
            (std::vector<std::int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
  // Two batches of the same boxes, two classes each (the second class's scores reversed).
  std::vector<float> twoBatches = kCorners;
  twoBatches.insert(twoBatches.end(), kCorners.begin(), kCorners.end());
  std::vector<float> s4;
  for (int b = 0; b < 2; ++b) {
    s4.insert(s4.end(), kScores.begin(), kScores.end());
    s4.insert(s4.end(), kScores.rbegin(), kScores.rend());
  }
  const Buffer boxes = floats(Shape::of({2, 6, 4}), twoBatches);
  const Buffer scores4 = floats(Shape::of({2, 2, 6}), s4);
  p = params(2, 0.5f);
  const auto out = runOpOutputs(OpCode::kNonMaxSuppression, &p, {&boxes, &scores4}, 2);
  EXPECT_EQ(out[0].type.shape, Shape::of({8, 3}));
  // Class 1 scores: box 5 0.9, 4 0.75, 3 0.6, 2 0.95, 1 0.5, 0 0.3 -> 2, then 5.
  EXPECT_EQ(rowsOf(out), (std::vector<std::int64_t>{0, 0, 3, 0, 0, 0, 0, 1, 2, 0, 1, 5,  //
                                                    1, 0, 3, 1, 0, 0, 1, 1, 2, 1, 1, 5}));
  EXPECT_EQ(countOf(out), 8);
}

TEST(NonMaxSuppressionRef, InferErrors) {
  const auto error = [](const NmsParams& p, std::vector<TensorType> in) {
    std::vector<TensorType> outs(2);
    const auto r = findOp(OpCode::kNonMaxSuppression)->infer(&p, in, outs);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(error(params(3, 0.5f), {f32({1, 6, 4}), f32({1, 1, 5})}),
            "NonMaxSuppression: boxes 1x6x4 and scores 1x1x5 are not float32 B x N x 4 and B x C x N");
  EXPECT_EQ(error(params(3, 1.5f), {f32({1, 6, 4}), f32({1, 1, 6})}),
            "NonMaxSuppression: max boxes 3, IoU threshold 1.5 or score threshold 0 out of range");
  EXPECT_EQ(error(params(-1, 0.5f), {f32({1, 6, 4}), f32({1, 1, 6})}),
            "NonMaxSuppression: max boxes -1, IoU threshold 0.5 or score threshold 0 out of range");
  EXPECT_EQ(error(params(0, 0.5f), {f32({1, 6, 4}), f32({1, 1, 6})}), "ok");
}

}  // namespace
}  // namespace edgert::kernels
