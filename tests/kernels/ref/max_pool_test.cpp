// MaxPool reference kernel: hand-computed cases (ceil mode, the last-window rule, dilation,
// padding), a grid of parameters against a brute-force formulation, and infer errors.
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

Tensor maxPool(const PoolParams& p, const Tensor& x) { return runOp(OpCode::kMaxPool, &p, {&x}); }

// Brute force: every tap of every window, skipping the ones outside X.
std::vector<float> maxPoolNaive(const PoolParams& p, const Tensor& x, std::int64_t outH,
                                std::int64_t outW) {
  const bool oneD = p.spatialRank == 1;
  const std::int64_t planes = x.shape.dims[0] * x.shape.dims[1];
  const std::int64_t h = oneD ? 1 : x.shape.dims[2], w = x.shape.dims[oneD ? 2 : 3];
  std::vector<float> y;
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    for (std::int64_t oh = 0; oh < outH; ++oh) {
      for (std::int64_t ow = 0; ow < outW; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
          for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
            const std::int64_t ih = oh * p.stride[0] - p.padBegin[0] + i * p.dilation[0];
            const std::int64_t iw = ow * p.stride[1] - p.padBegin[1] + j * p.dilation[1];
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            best = std::max(best, x.data[static_cast<std::size_t>((plane * h + ih) * w + iw)]);
          }
        }
        y.push_back(best);
      }
    }
  }
  return y;
}

TEST(MaxPoolRef, HandComputed) {
  const Tensor y = maxPool(pool2d(2, 2, 2), iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {6, 8, 14, 16}, 0, 0);
}

TEST(MaxPoolRef, CeilModeAddsAPartialWindow) {
  PoolParams p = pool2d(3, 3, 2);
  EXPECT_EQ(maxPool(p, iota({1, 1, 4, 4})).shape, Shape::of({1, 1, 1, 1}));
  p.ceilMode = 1;
  const Tensor y = maxPool(p, iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {11, 12, 15, 16}, 0, 0);
}

TEST(MaxPoolRef, CeilModeDropsAWindowStartingInTheEndPadding) {
  // 2x2, kernel 1, stride 2: ceil((2 - 1) / 2) + 1 = 2, but window 1 would start at 2.
  PoolParams p = pool2d(1, 1, 2);
  p.ceilMode = 1;
  Tensor y = maxPool(p, iota({1, 1, 2, 2}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1, 1}));
  expectClose(y.data, {1}, 0, 0);

  // 1-D, 5 long, kernel 2, stride 2, pads 1 + 1: ceil(5 / 2) + 1 = 4 windows by the formula;
  // the fourth would start at 5, in the end padding.
  PoolParams q = pool1d(2, 2);
  q.padBegin[1] = q.padEnd[1] = 1;
  q.ceilMode = 1;
  y = maxPool(q, iota({1, 1, 5}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 3}));
  expectClose(y.data, {1, 3, 5}, 0, 0);
}

TEST(MaxPoolRef, Dilation) {
  PoolParams p = pool2d(2, 2);
  p.dilation[0] = p.dilation[1] = 2;
  const Tensor y = maxPool(p, iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {11, 12, 15, 16}, 0, 0);
}

TEST(MaxPoolRef, PaddingIsNeverTheMaximum) {
  PoolParams p = pool2d(2, 2);
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  const Tensor y = maxPool(p, tensor({1, 1, 2, 2}, {-1, -2, -3, -4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 3, 3}));
  expectClose(y.data, {-1, -1, -2, -1, -1, -2, -3, -3, -4}, 0, 0);
}

TEST(MaxPoolRef, ParameterGridMatchesBruteForce) {
  std::mt19937 rng(1);
  int checked = 0;
  for (const std::int64_t h : {1, 2, 5}) {
    for (const std::int64_t w : {1, 3, 7}) {
      const Tensor x = randomTensor(Shape::of({2, 3, h, w}), rng);
      for (std::int32_t k = 1; k <= 3; ++k) {
        for (std::int32_t s = 1; s <= 3; ++s) {
          for (std::int32_t d = 1; d <= 2; ++d) {
            for (std::int32_t pb = 0; pb < 2; ++pb) {
              for (std::int32_t pe = 0; pe < 3; ++pe) {
                for (std::uint8_t ceil = 0; ceil < 2; ++ceil) {
                  PoolParams p = pool2d(k, k + 1, s);
                  p.stride[0] = s % 3 + 1;
                  p.dilation[1] = d;
                  p.padBegin[1] = pb;
                  p.padEnd[0] = std::min(pe, k - 1);
                  p.padEnd[1] = pe;
                  p.ceilMode = ceil;
                  const std::int64_t outH = pooledLength(h, p, 0);
                  const std::int64_t outW = pooledLength(w, p, 1);
                  auto type = inferOp(OpCode::kMaxPool, &p, {TensorType{DType::kFloat32, x.shape}});
                  const bool padsFit = pe < k * d + 1;  // below axis 1's window extent
                  if (!padsFit || outH < 1 || outW < 1) {
                    EXPECT_FALSE(type.ok()) << h << "x" << w << " k" << k << " s" << s;
                    continue;
                  }
                  ASSERT_TRUE(type.ok()) << type.error().message();
                  ASSERT_EQ(type->shape, Shape::of({2, 3, outH, outW}));
                  expectClose(maxPool(p, x).data, maxPoolNaive(p, x, outH, outW), 0, 0);
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

TEST(MaxPoolRef, Random1DMatchesBruteForce) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({3, 2, 23}), rng);
  PoolParams p = pool1d(4, 3);
  p.dilation[1] = 2;
  p.padBegin[1] = 5;
  p.padEnd[1] = 2;
  p.ceilMode = 1;
  const Tensor y = maxPool(p, x);
  ASSERT_EQ(y.shape, Shape::of({3, 2, pooledLength(23, p, 1)}));
  expectClose(y.data, maxPoolNaive(p, x, 1, y.shape.dims[2]), 0, 0);
}

TEST(MaxPoolRef, HugeWindowVisitsOnlyTheInput) {
  // A 2^30 window with 2^30 - 1 pads on a 3-long input: two windows, [-(2^30 - 1), 0] and
  // [1, 2^30], finished at once because the kernel never walks the padding.
  PoolParams p = pool1d(1 << 30, 1 << 30);
  p.padBegin[1] = p.padEnd[1] = (1 << 30) - 1;
  const Tensor y = maxPool(p, tensor({1, 1, 3}, {5, 7, 6}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2}));
  expectClose(y.data, {5, 7}, 0, 0);
}

TEST(MaxPoolRef, InferErrors) {
  PoolParams p = pool2d(3, 3);
  p.padBegin[0] = 3;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: pads 3, 0 on spatial axis 0 must be in 0..2 (below the window extent 3)");
  p = pool2d(3, 3);
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 2})}),
            "MaxPool: window extent 3 does not fit padded input 2 on axis 3");
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 0, 4})}),
            "MaxPool: input is empty on axis 2");
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 4, 4})}),
            "MaxPool: X 1x4x4 must have rank 4 for a 2-D pool");
  p.ceilMode = 2;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: ceilMode is 2, expected 0 or 1");
  p = pool2d(3, 3);
  p.countIncludePad = 1;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: countIncludePad is 1, expected 0 (AveragePool only)");
  p = pool2d(3, 0);
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: kernel 0, stride 1, dilation 1 on spatial axis 1: each must be at least 1");
  p = pool2d(3, 3);
  p.spatialRank = -7;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: spatial rank -7 is not 1 or 2");
  p = pool1d(3);
  p.stride[0] = 2;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4})}),
            "MaxPool: 1-D pool needs kernel[0] 1, stride[0] 1, dilation[0] 1, found 1, 2, 1");
  p = pool2d(3, 3);
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {TensorType{DType::kUint8, Shape::of({1, 1, 4, 4})}}),
            "MaxPool: input 0 is uint8, expected float32");
}

TEST(MaxPoolRef, AbsurdParametersFailWithoutOverflow) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  PoolParams p = pool2d(kMax, kMax, kMax);
  p.dilation[0] = p.dilation[1] = kMax;
  p.padBegin[0] = p.padEnd[0] = p.padBegin[1] = p.padEnd[1] = kMax;
  p.ceilMode = 1;
  // extent (2^31 - 2) * (2^31 - 1) + 1: pads are below it, the window does not fit.
  EXPECT_EQ(
      inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
      "MaxPool: window extent 4611686011984936963 does not fit padded input 4294967298 on axis 2");
  p.dilation[0] = p.dilation[1] = 1;
  p.padBegin[0] = p.padEnd[0] = p.padBegin[1] = p.padEnd[1] = kMax - 1;
  p.stride[0] = p.stride[1] = 1;
  // 2^31 - 1 windows per axis: 2^62 elements, rejected by the element limit.
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: shape 1x1x2147483650x2147483650 has more than 2^40 elements");
}

}  // namespace
}  // namespace edgert::kernels
