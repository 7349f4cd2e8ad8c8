// AveragePool reference kernel: hand-computed cases (count_include_pad both ways, ceil mode
// and its overhang, dilation), a grid of parameters against a brute-force formulation, and
// infer errors.
#include "edgert/kernels/registry.hpp"

#include "pool_cases.hpp"
#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

Tensor averagePool(const PoolParams& p, const Tensor& x) {
  return runOp(OpCode::kAveragePool, &p, {&x});
}

// Brute force: every tap of every window; a tap inside X adds to the sum and the count, a tap
// in the explicit padding adds to the count only when countIncludePad is set.
std::vector<float> averagePoolNaive(const PoolParams& p, const Tensor& x, std::int64_t outH,
                                    std::int64_t outW) {
  const bool oneD = p.spatialRank == 1;
  const std::int64_t planes = x.shape.dims[0] * x.shape.dims[1];
  const std::int64_t h = oneD ? 1 : x.shape.dims[2], w = x.shape.dims[oneD ? 2 : 3];
  std::vector<float> y;
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    for (std::int64_t oh = 0; oh < outH; ++oh) {
      for (std::int64_t ow = 0; ow < outW; ++ow) {
        double sum = 0;
        std::int64_t count = 0;
        for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
          for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
            const std::int64_t ih = oh * p.stride[0] - p.padBegin[0] + i * p.dilation[0];
            const std::int64_t iw = ow * p.stride[1] - p.padBegin[1] + j * p.dilation[1];
            const bool inX = ih >= 0 && ih < h && iw >= 0 && iw < w;
            const bool inPadded = ih >= -p.padBegin[0] && ih < h + p.padEnd[0] &&
                                  iw >= -p.padBegin[1] && iw < w + p.padEnd[1];
            if (inX) sum += x.data[static_cast<std::size_t>((plane * h + ih) * w + iw)];
            if (inX || (p.countIncludePad && inPadded)) ++count;
          }
        }
        y.push_back(count == 0 ? std::numeric_limits<float>::quiet_NaN()
                               : static_cast<float>(sum / static_cast<double>(count)));
      }
    }
  }
  return y;
}

TEST(AveragePoolRef, HandComputed) {
  const Tensor y = averagePool(pool2d(2, 2, 2), iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {3.5f, 5.5f, 11.5f, 13.5f}, 0, 0);
}

TEST(AveragePoolRef, PadsCountedOrNot) {
  PoolParams p = pool2d(3, 3);
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  const Tensor x = iota({1, 1, 3, 3});
  Tensor y = averagePool(p, x);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 3, 3}));
  expectClose(y.data, {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7});
  p.countIncludePad = 1;
  y = averagePool(p, x);
  expectClose(y.data, {12 / 9.0f, 21 / 9.0f, 16 / 9.0f, 27 / 9.0f, 5, 33 / 9.0f, 24 / 9.0f,
                       39 / 9.0f, 28 / 9.0f});
}

TEST(AveragePoolRef, CeilMode) {
  PoolParams p = pool2d(3, 3, 2);
  p.ceilMode = 1;
  const Tensor y = averagePool(p, iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {6, 7.5f, 12, 13.5f});
}

TEST(AveragePoolRef, CeilModeOverhangIsNeverCounted) {
  // 1-D [1..5], kernel 2, stride 2, ceil: the third window is [4, 5): one element, past the
  // end padding (none), so its average is 5 even with countIncludePad.
  PoolParams p = pool1d(2, 2);
  p.ceilMode = 1;
  for (std::uint8_t include = 0; include < 2; ++include) {
    p.countIncludePad = include;
    const Tensor y = averagePool(p, iota({1, 1, 5}));
    EXPECT_EQ(y.shape, Shape::of({1, 1, 3}));
    expectClose(y.data, {1.5f, 3.5f, 5});
  }
  // Kernel 3, stride 2, pads 1 + 1: windows [-1, 1], [1, 3], [3, 5]; the explicit pads count
  // when asked.
  PoolParams q = pool1d(3, 2);
  q.padBegin[1] = q.padEnd[1] = 1;
  q.ceilMode = 1;
  expectClose(averagePool(q, iota({1, 1, 5})).data, {1.5f, 3, 4.5f});
  q.countIncludePad = 1;
  expectClose(averagePool(q, iota({1, 1, 5})).data, {1, 3, 3});
}

TEST(AveragePoolRef, Dilation) {
  PoolParams p = pool2d(2, 2);
  p.dilation[0] = p.dilation[1] = 2;
  const Tensor y = averagePool(p, iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  // Window (0, 0) reads 1, 3, 9, 11.
  expectClose(y.data, {6, 7, 10, 11}, 0, 0);
}

TEST(AveragePoolRef, ParameterGridMatchesBruteForce) {
  std::mt19937 rng(1);
  int checked = 0;
  for (const std::int64_t h : {1, 2, 5}) {
    for (const std::int64_t w : {1, 3, 7}) {
      const Tensor x = randomTensor(Shape::of({2, 3, h, w}), rng);
      for (std::int32_t k = 1; k <= 3; ++k) {
        for (std::int32_t s = 1; s <= 3; ++s) {
          for (std::int32_t d = 1; d <= 2; ++d) {
            for (std::int32_t pe = 0; pe < 3; ++pe) {
              for (std::uint8_t ceil = 0; ceil < 2; ++ceil) {
                for (std::uint8_t include = 0; include < 2; ++include) {
                  PoolParams p = pool2d(k, k + 1, s);
                  p.stride[0] = s % 3 + 1;
                  p.dilation[1] = d;
                  p.padBegin[0] = std::min(1, k - 1);
                  p.padBegin[1] = 1;
                  p.padEnd[0] = std::min(pe, k - 1);
                  p.padEnd[1] = pe;
                  p.ceilMode = ceil;
                  p.countIncludePad = include;
                  const std::int64_t outH = pooledLength(h, p, 0);
                  const std::int64_t outW = pooledLength(w, p, 1);
                  auto type =
                      inferOp(OpCode::kAveragePool, &p, {TensorType{DType::kFloat32, x.shape}});
                  const bool padsFit = pe < k * d + 1;
                  if (!padsFit || outH < 1 || outW < 1) {
                    EXPECT_FALSE(type.ok()) << h << "x" << w << " k" << k << " s" << s;
                    continue;
                  }
                  ASSERT_TRUE(type.ok()) << type.error().message();
                  ASSERT_EQ(type->shape, Shape::of({2, 3, outH, outW}));
                  expectClose(averagePool(p, x).data, averagePoolNaive(p, x, outH, outW));
                  ++checked;
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(AveragePoolRef, Random1DMatchesBruteForce) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({3, 2, 29}), rng);
  PoolParams p = pool1d(5, 3);
  p.padBegin[1] = 4;
  p.padEnd[1] = 2;
  p.ceilMode = 1;
  p.countIncludePad = 1;
  const Tensor y = averagePool(p, x);
  ASSERT_EQ(y.shape, Shape::of({3, 2, pooledLength(29, p, 1)}));
  expectClose(y.data, averagePoolNaive(p, x, 1, y.shape.dims[2]));
}

TEST(AveragePoolRef, InferErrors) {
  PoolParams p = pool2d(3, 3);
  p.countIncludePad = 2;
  EXPECT_EQ(inferError(OpCode::kAveragePool, &p, {f32({1, 1, 4, 4})}),
            "AveragePool: countIncludePad is 2, expected 0 or 1");
  p = pool2d(3, 3);
  p.padEnd[1] = 3;
  EXPECT_EQ(inferError(OpCode::kAveragePool, &p, {f32({1, 1, 4, 4})}),
            "AveragePool: pads 0, 3 on spatial axis 1 must be in 0..2 (below the window extent 3)");
  p = pool2d(5, 1);
  EXPECT_EQ(inferError(OpCode::kAveragePool, &p, {f32({1, 1, 4, 4})}),
            "AveragePool: window extent 5 does not fit padded input 4 on axis 2");
  p.ceilMode = 1;
  p.stride[0] = 2;
  // ceil((4 - 5) / 2) + 1 = 1: one window that overhangs the end, as ONNX allows.
  auto y = inferOp(OpCode::kAveragePool, &p, {f32({1, 1, 4, 4})});
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ(*y, f32({1, 1, 1, 4}));
  EXPECT_EQ(inferError(OpCode::kAveragePool, &p, {f32({1, 1, 4, 4}), f32({1})}),
            "AveragePool: expected 1..1 inputs, found 2");
}

}  // namespace
}  // namespace edgert::kernels
