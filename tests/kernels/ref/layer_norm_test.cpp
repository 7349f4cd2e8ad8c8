// LayerNormalization's reference kernel against values computed here in double: rows from
// different axes, scale and B shaped as the row or one value, the optional mean and inverse
// standard deviation outputs, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

LayerNormParams params(std::int32_t axis, float epsilon = 1e-5f) {
  LayerNormParams p;
  p.axis = axis;
  p.epsilon = epsilon;
  return p;
}

std::vector<float> randomValues(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-3.0f, 5.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(LayerNormRef, RowsFromEachAxisWithAllOutputs) {
  const Shape shape = Shape::of({2, 3, 4});
  const std::vector<float> xs = randomValues(24, 1);
  const Buffer x = floats(shape, xs);
  for (std::int32_t axis : {0, 1, 2}) {
    const std::int64_t row = axis == 0 ? 24 : axis == 1 ? 12 : 4;
    Shape rowShape;
    for (int i = axis; i < 3; ++i) rowShape.dims[rowShape.rank++] = shape.dims[i];
    const std::vector<float> scales = randomValues(static_cast<std::size_t>(row), 2);
    const std::vector<float> biases = randomValues(static_cast<std::size_t>(row), 3);
    const Buffer scale = floats(rowShape, scales);
    const Buffer bias = floats(rowShape, biases);
    const LayerNormParams p = params(axis, 1e-3f);
    const std::vector<Buffer> out = runOpOutputs(OpCode::kLayerNorm, &p, {&x, &scale, &bias}, 3);
    ASSERT_EQ(out.size(), 3u);
    const std::vector<float> y = valuesOf<float>(out[0]);
    const std::vector<float> mean = valuesOf<float>(out[1]);
    const std::vector<float> inv = valuesOf<float>(out[2]);
    ASSERT_EQ(mean.size(), static_cast<std::size_t>(24 / row));
    for (int i = axis; i < 3; ++i) EXPECT_EQ(out[1].type.shape.dims[i], 1) << "axis " << axis;
    for (std::int64_t r = 0; r < 24 / row; ++r) {
      double m = 0, v = 0;
      for (std::int64_t i = 0; i < row; ++i) m += xs[static_cast<std::size_t>(r * row + i)];
      m /= static_cast<double>(row);
      for (std::int64_t i = 0; i < row; ++i) v += std::pow(xs[static_cast<std::size_t>(r * row + i)] - m, 2);
      const double s = 1 / std::sqrt(v / static_cast<double>(row) + 1e-3);
      EXPECT_NEAR(mean[static_cast<std::size_t>(r)], m, 1e-5);
      EXPECT_NEAR(inv[static_cast<std::size_t>(r)], s, 1e-5 * s);
      for (std::int64_t i = 0; i < row; ++i) {
        const std::size_t at = static_cast<std::size_t>(r * row + i);
        const double want = (xs[at] - m) * s * scales[static_cast<std::size_t>(i)] + biases[static_cast<std::size_t>(i)];
        EXPECT_NEAR(y[at], want, 1e-5 * std::max(1.0, std::fabs(want))) << "axis " << axis << " at " << at;
      }
    }
  }
}

TEST(LayerNormRef, OneScaleValueNoBiasAndLeadingOnes) {
  const Buffer x = floats(Shape::of({2, 2}), {1, 3, 10, 10});
  const Buffer one = floats(Shape::of({1}), {2});
  LayerNormParams p = params(1, 0.0f);
  // Row 0: mean 2, var 1 -> (-1, 1) * 2; row 1: var 0, epsilon 0 -> 0 * inf = NaN.
  const std::vector<float> y = valuesOf<float>(runOpOutputs(OpCode::kLayerNorm, &p, {&x, &one}, 1)[0]);
  EXPECT_FLOAT_EQ(y[0], -2.0f);
  EXPECT_FLOAT_EQ(y[1], 2.0f);
  EXPECT_TRUE(std::isnan(y[2]));
  p = params(1, 1.0f);
  const Buffer scale = floats(Shape::of({1, 2}), {1, 10});
  const Buffer bias = floats(Shape::of({1, 1, 2}), {0.5f, 0.25f});
  const std::vector<float> z = valuesOf<float>(runOpOutputs(OpCode::kLayerNorm, &p, {&x, &scale, &bias}, 1)[0]);
  const float s = 1.0f / std::sqrt(2.0f);
  EXPECT_FLOAT_EQ(z[0], -s + 0.5f);
  EXPECT_FLOAT_EQ(z[1], 10 * s + 0.25f);
  EXPECT_FLOAT_EQ(z[2], 0.5f);
}

TEST(LayerNormRef, InferErrors) {
  const LayerNormParams p = params(1);
  EXPECT_EQ(inferError(OpCode::kLayerNorm, &p, {f32({2, 3}), f32({2})}),
            "LayerNormalization: scale is float32 2, expected float32 shaped as X 2x3 from axis 1 (or one value)");
  EXPECT_EQ(inferError(OpCode::kLayerNorm, &p, {f32({2, 3}), f32({2, 3})}),
            "LayerNormalization: scale is float32 2x3, expected float32 shaped as X 2x3 from axis 1 (or one value)");
  EXPECT_EQ(inferError(OpCode::kLayerNorm, &p, {f32({2, 3}), f32({3}), TensorType{DType::kInt32, Shape::of({3})}}),
            "LayerNormalization: B is int32 3, expected float32 shaped as X 2x3 from axis 1 (or one value)");
  EXPECT_EQ(inferError(OpCode::kLayerNorm, &p, {TensorType{DType::kInt32, Shape::of({2, 3})}, f32({3})}),
            "LayerNormalization: X is int32, expected float32");
  const LayerNormParams far = params(2);
  EXPECT_EQ(inferError(OpCode::kLayerNorm, &far, {f32({2, 3}), f32({3})}),
            "LayerNormalization: axis 2 is outside 0..1 for X 2x3");
  const LayerNormParams negative = params(1, -1.0f);
  EXPECT_EQ(inferError(OpCode::kLayerNorm, &negative, {f32({2, 3}), f32({3})}),
            "LayerNormalization: epsilon -1 must be finite and not negative");
}

}  // namespace
}  // namespace edgert::kernels
