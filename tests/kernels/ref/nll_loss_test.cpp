// NegativeLogLikelihoodLoss' reference kernel: each reduction, weights, ignore_index, a
// target out of range, extra dims, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

NllLossParams params(LossReduction reduction, std::optional<std::int64_t> ignore = {}) {
  NllLossParams p;
  p.reduction = reduction;
  if (ignore) {
    p.hasIgnoreIndex = 1;
    p.ignoreIndex = *ignore;
  }
  return p;
}

// Input 3 x 2 x 2 (N, C, d): input[n][c][d] = -(10 n + 3 c + d + 1).
const Buffer kInput = floats(Shape::of({3, 2, 2}), {-1, -2, -4, -5, -11, -12, -14, -15, -21, -22, -24, -25});
const Buffer kTarget = tensor<std::int64_t>(DType::kInt64, Shape::of({3, 2}), {0, 1, 1, 0, 1, 7});

TEST(NllLossRef, EachReductionWithAndWithoutWeights) {
  // Losses: (1, 5, 14, 12, 24, [7 is out of range: 0]).
  NllLossParams p = params(LossReduction::kNone);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kNllLoss, &p, {&kInput, &kTarget})), (std::vector<float>{1, 5, 14, 12, 24, 0}));
  p = params(LossReduction::kSum);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kNllLoss, &p, {&kInput, &kTarget})), (std::vector<float>{56}));
  p = params(LossReduction::kMean);
  EXPECT_FLOAT_EQ(valuesOf<float>(runOp(OpCode::kNllLoss, &p, {&kInput, &kTarget}))[0], 56.0f / 5);
  // Weights 0.5 (class 0) and 2 (class 1): losses 0.5, 10, 28, 6, 48; mean over 0.5+2+2+0.5+2.
  const Buffer weight = floats(Shape::of({2}), {0.5f, 2.0f});
  EXPECT_FLOAT_EQ(valuesOf<float>(runOp(OpCode::kNllLoss, &p, {&kInput, &kTarget, &weight}))[0], 92.5f / 7);
  p = params(LossReduction::kMean, 1);  // class 1 ignored: 0.5 and 6 over 0.5 + 0.5
  EXPECT_FLOAT_EQ(valuesOf<float>(runOp(OpCode::kNllLoss, &p, {&kInput, &kTarget, &weight}))[0], 6.5f);
  p = params(LossReduction::kMean, 0);
  const Buffer none = tensor<std::int64_t>(DType::kInt64, Shape::of({3, 2}), {0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(std::isnan(valuesOf<float>(runOp(OpCode::kNllLoss, &p, {&kInput, &none}))[0]));
}

TEST(NllLossRef, InferErrors) {
  const NllLossParams p = params(LossReduction::kSum);
  const TensorType target{DType::kInt64, Shape::of({3, 2})};
  EXPECT_EQ(inferError(OpCode::kNllLoss, &p, {f32({3, 2, 2}), TensorType{DType::kInt64, Shape::of({3, 3})}}),
            "NegativeLogLikelihoodLoss: target is int64 3x3, expected int32 or int64 shaped as input 3x2x2 without C");
  EXPECT_EQ(inferError(OpCode::kNllLoss, &p, {f32({3, 2, 2}), target, f32({3})}),
            "NegativeLogLikelihoodLoss: weight is float32 3, expected float32 with C = 2 values");
  EXPECT_EQ(inferError(OpCode::kNllLoss, &p, {f32({3}), target}),
            "NegativeLogLikelihoodLoss: input is float32 3, expected float32 N x C x ...");
  NllLossParams bad = p;
  bad.reduction = static_cast<LossReduction>(3);
  EXPECT_EQ(inferError(OpCode::kNllLoss, &bad, {f32({3, 2, 2}), target}),
            "NegativeLogLikelihoodLoss: reduction 3 or ignore flag 0 out of range");
  TensorType y;
  EXPECT_EQ(inferError(OpCode::kNllLoss, &p, {f32({3, 2, 2}), target}, &y), "ok");
  EXPECT_EQ(y.shape.rank, 0);
}

}  // namespace
}  // namespace edgert::kernels
