// Softmax reference kernel: hand-computed values, every axis of a 3-D tensor against a naive
// per-slice formulation, extreme inputs, and infer errors.
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

Tensor softmax(const Tensor& x, std::int32_t axis) {
  const SoftmaxParams p{axis};
  return runOp(OpCode::kSoftmax, &p, {&x});
}

TEST(SoftmaxRef, HandComputed) {
  const Tensor y = softmax(tensor({1, 3}, {1, 2, 3}), 1);
  EXPECT_EQ(y.shape, Shape::of({1, 3}));
  // e^-2, e^-1, 1 over their sum.
  const double s = std::exp(-2.0) + std::exp(-1.0) + 1.0;
  expectClose(y.data, {static_cast<float>(std::exp(-2.0) / s),
                       static_cast<float>(std::exp(-1.0) / s), static_cast<float>(1.0 / s)});
}

TEST(SoftmaxRef, LargeInputsDoNotOverflow) {
  const Tensor y = softmax(tensor({2, 4}, {0, 1, 2, 3, 10000, 10001, 10002, 10003}), 1);
  const std::vector<float> row = {0.032058604f, 0.087144315f, 0.23688282f, 0.64391426f};
  expectClose(y.data, {row[0], row[1], row[2], row[3], row[0], row[1], row[2], row[3]});
}

TEST(SoftmaxRef, NegativeInfinityGetsZero) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = softmax(tensor({3}, {-inf, 0, -inf}), 0);
  expectClose(y.data, {0, 1, 0}, 0, 0);
}

TEST(SoftmaxRef, EveryAxisMatchesNaive) {
  std::mt19937 rng(1);
  Tensor x = randomTensor(Shape::of({3, 4, 5}), rng);
  for (float& v : x.data) v *= 20.0f;
  for (std::int32_t axis = 0; axis < 3; ++axis) {
    const Tensor y = softmax(x, axis);
    ASSERT_EQ(y.shape, x.shape);
    // For every element, normalise over the elements that differ from it only along `axis`.
    std::vector<float> want(x.data.size());
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t j = 0; j < 4; ++j) {
        for (std::int64_t k = 0; k < 5; ++k) {
          const auto at = [](std::int64_t a, std::int64_t b, std::int64_t c) {
            return static_cast<std::size_t>((a * 4 + b) * 5 + c);
          };
          double sum = 0;
          const std::int64_t len = x.shape.dims[axis];
          for (std::int64_t t = 0; t < len; ++t) {
            const std::size_t other = axis == 0   ? at(t, j, k)
                                      : axis == 1 ? at(i, t, k)
                                                  : at(i, j, t);
            sum += std::exp(double{x.data[other]});
          }
          want[at(i, j, k)] = static_cast<float>(std::exp(double{x.data[at(i, j, k)]}) / sum);
        }
      }
    }
    expectClose(y.data, want);
  }
}

TEST(SoftmaxRef, AxisOfLengthOneIsAllOnes) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({7, 1, 2}), rng);
  expectClose(softmax(x, 1).data, std::vector<float>(14, 1.0f), 0, 0);
}

TEST(SoftmaxRef, InferErrors) {
  const SoftmaxParams p{2};
  EXPECT_EQ(inferError(OpCode::kSoftmax, &p, {f32({3, 4})}),
            "Softmax: axis 2 is outside 0..1 for X 3x4");
  const SoftmaxParams negative{-1};
  EXPECT_EQ(inferError(OpCode::kSoftmax, &negative, {f32({3, 4})}),
            "Softmax: axis -1 is outside 0..1 for X 3x4");
  const SoftmaxParams zero{0};
  EXPECT_EQ(inferError(OpCode::kSoftmax, &zero, {f32({})}),
            "Softmax: X is a scalar, it has no axis to normalise");
  EXPECT_EQ(inferError(OpCode::kSoftmax, &zero, {TensorType{DType::kUint8, Shape::of({3})}}),
            "Softmax: input 0 is uint8, expected float32");
  auto y = inferOp(OpCode::kSoftmax, &zero, {f32({3, 4})});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, f32({3, 4}));
}

// LogSoftmax: the log of Softmax, computed without forming exp(x) / sum, so it stays finite
// where Softmax underflows to 0.
TEST(LogSoftmaxRef, IsTheLogOfSoftmaxAndFiniteWhereSoftmaxUnderflows) {
  SoftmaxParams p{1};
  const Tensor x = tensor({2, 3}, {1, 2, 3, -1000, 0, 1000});
  const Tensor y = runOp(OpCode::kLogSoftmax, &p, {&x});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  expectClose(y.data, {static_cast<float>(1 - lse), static_cast<float>(2 - lse), static_cast<float>(3 - lse),
                       -2000.0f, -1000.0f, 0.0f});
  const Tensor s = softmax(x, 1);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(std::exp(y.data[static_cast<std::size_t>(i)]), s.data[static_cast<std::size_t>(i)], 1e-6);
}

}  // namespace
}  // namespace edgert::kernels
