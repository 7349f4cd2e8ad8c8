// BatchNormalization reference kernel (inference form): hand-computed values, random data
// against the formula per element, in-place operation, and infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

Tensor batchNorm(float epsilon, const Tensor& x, const Tensor& scale, const Tensor& bias,
                 const Tensor& mean, const Tensor& var, bool inPlace = false) {
  const BatchNormParams p{epsilon};
  return runOp(OpCode::kBatchNorm, &p, {&x, &scale, &bias, &mean, &var},
               inPlace ? overInput(0) : kOwnBuffer);
}

TEST(BatchNormRef, HandComputed) {
  // Channel 0: (x - 1) / sqrt(4) * 2 + 0.5; channel 1: (x + 2) / sqrt(0.25) * -1 + 0.
  const Tensor x = tensor({1, 2, 1, 3}, {1, 3, 5, -2, -1, 0});
  const Tensor y = batchNorm(0, x, tensor({2}, {2, -1}), tensor({2}, {0.5f, 0}),
                             tensor({2}, {1, -2}), tensor({2}, {4, 0.25f}));
  EXPECT_EQ(y.shape, x.shape);
  expectClose(y.data, {0.5f, 2.5f, 4.5f, 0, -2, -4}, 0, 0);
}

TEST(BatchNormRef, EpsilonIsAddedToTheVariance) {
  const Tensor x = tensor({1, 1, 2}, {3, -3});
  const Tensor one = tensor({1}, {1});
  const Tensor zero = tensor({1}, {0});
  // sqrt(0 + 0.25) = 0.5.
  const Tensor y = batchNorm(0.25f, x, one, zero, zero, zero);
  expectClose(y.data, {6, -6});
}

TEST(BatchNormRef, RandomMatchesFormula) {
  std::mt19937 rng(1);
  for (const Shape& shape : {Shape::of({2, 3, 4, 5}), Shape::of({7, 3}), Shape::of({1, 3, 13}),
                             Shape::of({2, 3, 1, 2, 3})}) {
    const Tensor x = randomTensor(shape, rng);
    const Tensor scale = randomTensor(Shape::of({3}), rng);
    const Tensor bias = randomTensor(Shape::of({3}), rng);
    const Tensor mean = randomTensor(Shape::of({3}), rng);
    Tensor var = randomTensor(Shape::of({3}), rng);
    for (float& v : var.data) v = std::fabs(v);
    const Tensor y = batchNorm(1e-3f, x, scale, bias, mean, var);
    const std::int64_t inner = shape.numel() / (shape.dims[0] * 3);
    std::vector<float> want(x.data.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const std::size_t c = (i / static_cast<std::size_t>(inner)) % 3;
      want[i] = scale.data[c] * (x.data[i] - mean.data[c]) / std::sqrt(var.data[c] + 1e-3f) +
                bias.data[c];
    }
    expectClose(y.data, want, 1e-5, 1e-5);
  }
}

TEST(BatchNormRef, InPlaceGivesTheSameResult) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({2, 4, 3, 3}), rng);
  const Tensor scale = randomTensor(Shape::of({4}), rng);
  const Tensor bias = randomTensor(Shape::of({4}), rng);
  const Tensor mean = randomTensor(Shape::of({4}), rng);
  const Tensor var = tensor({4}, {0.5f, 1, 2, 3});
  const Tensor separate = batchNorm(1e-5f, x, scale, bias, mean, var);
  const Tensor inPlace = batchNorm(1e-5f, x, scale, bias, mean, var, true);
  expectClose(inPlace.data, separate.data, 0, 0);
}

TEST(BatchNormRef, InferErrors) {
  const BatchNormParams p{1e-5f};
  EXPECT_EQ(
      inferError(OpCode::kBatchNorm, &p, {f32({2, 3, 4}), f32({3}), f32({3}), f32({4}), f32({3})}),
      "BatchNormalization: mean 4 does not match the 3 channels of X 2x3x4");
  EXPECT_EQ(inferError(OpCode::kBatchNorm, &p,
                       {f32({2, 3, 4}), f32({1, 3}), f32({3}), f32({3}), f32({3})}),
            "BatchNormalization: scale 1x3 does not match the 3 channels of X 2x3x4");
  EXPECT_EQ(inferError(OpCode::kBatchNorm, &p, {f32({3}), f32({3}), f32({3}), f32({3}), f32({3})}),
            "BatchNormalization: X 3 has no channel axis (rank 1 < 2)");
  EXPECT_EQ(inferError(OpCode::kBatchNorm, &p,
                       {f32({2, 3}), f32({3}), f32({3}), f32({3}),
                        TensorType{DType::kInt32, Shape::of({3})}}),
            "BatchNormalization: input 4 (var) is int32, expected float32");
  EXPECT_EQ(inferError(OpCode::kBatchNorm, &p, {f32({2, 3}), f32({3}), f32({3}), f32({3})}),
            "BatchNormalization: expected 5..5 inputs, found 4");
  const BatchNormParams negative{-1e-5f};
  EXPECT_EQ(inferError(OpCode::kBatchNorm, &negative,
                       {f32({2, 3}), f32({3}), f32({3}), f32({3}), f32({3})}),
            "BatchNormalization: epsilon -1e-05 is not a finite value >= 0");
  const BatchNormParams nan{std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(
      inferError(OpCode::kBatchNorm, &nan, {f32({2, 3}), f32({3}), f32({3}), f32({3}), f32({3})}),
      "BatchNormalization: epsilon nan is not a finite value >= 0");
}

}  // namespace
}  // namespace edgert::kernels
