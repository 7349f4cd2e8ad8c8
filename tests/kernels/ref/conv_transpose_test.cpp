// ConvTranspose reference kernel: hand-computed cases, infer errors, random cases against an
// independent scatter formulation written here, and the adjoint identity with Conv.
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

ConvTransposeParams deconv2d(std::int32_t kH, std::int32_t kW) {
  ConvTransposeParams p;
  p.kernel[0] = kH;
  p.kernel[1] = kW;
  return p;
}

Tensor runDeconv(const ConvTransposeParams& p, const Tensor& x, const Tensor& w,
                 const Tensor* bias = nullptr) {
  return runOp(OpCode::kConvTranspose, &p, {&x, &w, bias});
}

// The independent formulation: every input pixel scatters X * W into the output window it
// touches (the kernel itself gathers).
std::vector<float> deconvByScatter(const ConvTransposeParams& p, const Tensor& x, const Tensor& w,
                                   const Tensor* bias, const Shape& yShape) {
  const bool oneD = p.spatialRank == 1;
  const std::int64_t n = x.shape.dims[0], c = x.shape.dims[1];
  const std::int64_t h = oneD ? 1 : x.shape.dims[2], wd = x.shape.dims[oneD ? 2 : 3];
  const std::int64_t m = yShape.dims[1];
  const std::int64_t oh = oneD ? 1 : yShape.dims[2], ow = yShape.dims[oneD ? 2 : 3];
  const std::int64_t kh = p.kernel[0], kw = p.kernel[1];
  const std::int64_t cg = c / p.group, mg = m / p.group;
  std::vector<double> y(static_cast<std::size_t>(n * m * oh * ow), 0.0);
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t ci = 0; ci < c; ++ci) {
      const std::int64_t g = ci / cg;
      for (std::int64_t iy = 0; iy < h; ++iy) {
        for (std::int64_t ix = 0; ix < wd; ++ix) {
          const double xv = x.data[static_cast<std::size_t>(((b * c + ci) * h + iy) * wd + ix)];
          for (std::int64_t mm = 0; mm < mg; ++mm) {
            for (std::int64_t ty = 0; ty < kh; ++ty) {
              for (std::int64_t tx = 0; tx < kw; ++tx) {
                const std::int64_t oy = iy * p.stride[0] - p.padBegin[0] + ty * p.dilation[0];
                const std::int64_t ox = ix * p.stride[1] - p.padBegin[1] + tx * p.dilation[1];
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                y[static_cast<std::size_t>(((b * m + g * mg + mm) * oh + oy) * ow + ox)] +=
                    xv * w.data[static_cast<std::size_t>(((ci * mg + mm) * kh + ty) * kw + tx)];
              }
            }
          }
        }
      }
    }
  }
  std::vector<float> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t channel =
        (i / static_cast<std::size_t>(oh * ow)) % static_cast<std::size_t>(m);
    out[i] = static_cast<float>(y[i] + (bias ? bias->data[channel] : 0.0));
  }
  return out;
}

void checkAgainstScatter(const ConvTransposeParams& p, const Shape& xShape, const Shape& wShape,
                         std::uint32_t seed) {
  std::mt19937 rng(seed);
  const Tensor x = randomTensor(xShape, rng);
  const Tensor w = randomTensor(wShape, rng);
  const Tensor bias = randomTensor(Shape::of({wShape.dims[1] * p.group}), rng);
  const Tensor y = runDeconv(p, x, w, p.hasBias ? &bias : nullptr);
  expectClose(y.data, deconvByScatter(p, x, w, p.hasBias ? &bias : nullptr, y.shape));
}

TEST(ConvTransposeRef, HandComputed1D) {
  // Each input element adds x * W to the three outputs it reaches.
  const Tensor x = tensor({1, 1, 3}, {0, 1, 2});
  const Tensor w = tensor({1, 2, 3}, {1, 1, 1, 1, 2, 3});
  ConvTransposeParams p;
  p.spatialRank = 1;
  p.kernel[1] = 3;
  const Tensor y = runDeconv(p, x, w);
  EXPECT_EQ(y.shape, Shape::of({1, 2, 5}));
  // Channel 1: 1 * [1,2,3] at offset 1 plus 2 * [1,2,3] at offset 2.
  expectClose(y.data, {0, 1, 3, 3, 2, 0, 1, 2 + 2, 3 + 4, 6}, 0, 0);
}

TEST(ConvTransposeRef, HandComputedStrideExpandsPixels) {
  const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor w = tensor({1, 1, 2, 2}, {1, 1, 1, 1});
  ConvTransposeParams p = deconv2d(2, 2);
  p.stride[0] = p.stride[1] = 2;
  const Tensor y = runDeconv(p, x, w);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 4, 4}));
  expectClose(y.data, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0, 0);
}

TEST(ConvTransposeRef, HandComputedPadsOutputPaddingAndBias) {
  // 1x3 input, kernel 1x3 of ones, stride 2: full output 1x7 = [1, 1, 3, 2, 5, 3, 3];
  // outputPadding 1 appends a zero column, pads 1 + 2 crop one at the start and two at the end.
  const Tensor x = tensor({1, 1, 1, 3}, {1, 2, 3});
  const Tensor w = tensor({1, 1, 1, 3}, {1, 1, 1});
  const Tensor b = tensor({1}, {10});
  ConvTransposeParams p = deconv2d(1, 3);
  p.stride[1] = 2;
  p.outputPadding[1] = 1;
  p.padBegin[1] = 1;
  p.padEnd[1] = 2;
  p.hasBias = 1;
  const Tensor y = runDeconv(p, x, w, &b);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1, 5}));
  expectClose(y.data, {11, 13, 12, 15, 13}, 0, 0);
}

TEST(ConvTransposeRef, OutputPaddingBeyondTheStrideAddsBiasOnlyColumns) {
  // What ONNX output_shape = 7 asks of a full output of 4: three extra columns.
  const Tensor x = tensor({1, 1, 1, 2}, {1, 2});
  const Tensor w = tensor({1, 1, 1, 3}, {1, 1, 1});
  const Tensor b = tensor({1}, {-1});
  ConvTransposeParams p = deconv2d(1, 3);
  p.outputPadding[1] = 3;
  p.hasBias = 1;
  const Tensor y = runDeconv(p, x, w, &b);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1, 7}));
  expectClose(y.data, {0, 2, 2, 1, -1, -1, -1}, 0, 0);
}

TEST(ConvTransposeRef, OutputShapes) {
  ConvTransposeParams p = deconv2d(3, 3);
  p.stride[0] = p.stride[1] = 3;
  p.dilation[1] = 2;
  p.padBegin[0] = 1;
  p.padEnd[0] = 1;
  p.padEnd[1] = 2;
  p.outputPadding[0] = 1;
  p.outputPadding[1] = 1;
  p.group = 2;
  auto y = inferOp(OpCode::kConvTranspose, &p, {f32({1, 4, 3, 3}), f32({4, 5, 3, 3})});
  ASSERT_TRUE(y.ok()) << y.error().message();
  // H: 3 * 2 + 1 + 3 - 2 = 8. W: 3 * 2 + 1 + 5 - 2 = 10. M = 5 * 2.
  EXPECT_EQ(*y, f32({1, 10, 8, 10}));
}

TEST(ConvTransposeRef, RandomMatchesScatter) {
  ConvTransposeParams p = deconv2d(3, 2);
  p.stride[0] = 2;
  p.stride[1] = 3;
  p.dilation[0] = 2;
  p.padBegin[0] = 1;
  p.padEnd[1] = 2;
  p.outputPadding[1] = 2;
  p.hasBias = 1;
  checkAgainstScatter(p, Shape::of({2, 3, 5, 7}), Shape::of({3, 4, 3, 2}), 1);

  ConvTransposeParams g = deconv2d(3, 3);
  g.group = 3;
  g.stride[0] = g.stride[1] = 2;
  g.padBegin[0] = g.padBegin[1] = g.padEnd[0] = g.padEnd[1] = 1;
  g.outputPadding[0] = 1;
  g.hasBias = 1;
  checkAgainstScatter(g, Shape::of({1, 6, 4, 3}), Shape::of({6, 1, 3, 3}), 2);

  checkAgainstScatter(deconv2d(1, 1), Shape::of({1, 1, 1, 1}), Shape::of({1, 1, 1, 1}), 3);

  ConvTransposeParams d;
  d.spatialRank = 1;
  d.kernel[1] = 5;
  d.stride[1] = 3;
  d.dilation[1] = 2;
  d.padBegin[1] = 4;
  d.outputPadding[1] = 1;
  d.group = 2;
  checkAgainstScatter(d, Shape::of({2, 4, 11}), Shape::of({4, 3, 5}), 4);
}

TEST(ConvTransposeRef, IsTheAdjointOfConv) {
  // With the same weights, <Conv(x), v> == <x, ConvTranspose(v)> when the transpose's output
  // padding restores X's size.
  std::mt19937 rng(5);
  constexpr std::int64_t kC = 3, kM = 4, kH = 9, kW = 8;
  const Tensor x = randomTensor(Shape::of({2, kC, kH, kW}), rng);
  const Tensor w = randomTensor(Shape::of({kM, kC, 3, 2}), rng);
  ConvParams conv;
  conv.kernel[0] = 3;
  conv.kernel[1] = 2;
  conv.stride[0] = 2;
  conv.stride[1] = 3;
  conv.dilation[0] = 2;
  conv.padBegin[0] = 1;
  conv.padEnd[0] = 2;
  conv.padBegin[1] = 1;
  const Tensor cx = runOp(OpCode::kConv, &conv, {&x, &w});
  const Tensor v = randomTensor(cx.shape, rng);

  ConvTransposeParams t = deconv2d(3, 2);
  for (int a = 0; a < 2; ++a) {
    t.stride[a] = conv.stride[a];
    t.dilation[a] = conv.dilation[a];
    t.padBegin[a] = conv.padBegin[a];
    t.padEnd[a] = conv.padEnd[a];
    const std::int64_t extent = std::int64_t{conv.kernel[a] - 1} * conv.dilation[a] + 1;
    const std::int64_t in = x.shape.dims[2 + a];
    t.outputPadding[a] = static_cast<std::int32_t>(
        (in + conv.padBegin[a] + conv.padEnd[a] - extent) % conv.stride[a]);
  }
  const Tensor tv = runDeconv(t, v, w);
  ASSERT_EQ(tv.shape, x.shape);
  double lhs = 0, rhs = 0;
  for (std::size_t i = 0; i < cx.data.size(); ++i) lhs += double{cx.data[i]} * v.data[i];
  for (std::size_t i = 0; i < x.data.size(); ++i) rhs += double{x.data[i]} * tv.data[i];
  EXPECT_NEAR(lhs, rhs, 1e-4 * std::fabs(lhs) + 1e-5);
}

TEST(ConvTransposeRef, InferErrors) {
  ConvTransposeParams p = deconv2d(3, 3);
  p.group = 3;
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 16, 4, 4}), f32({16, 2, 3, 3})}),
            "ConvTranspose: group 3 does not divide 16 input channels");
  p.group = 1;
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 16, 4, 4}), f32({8, 2, 3, 3})}),
            "ConvTranspose: W 8x2x3x3 has 8 input channels, X 1x16x4x4 has 16");
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 4, 4}), f32({2, 2, 3, 1})}),
            "ConvTranspose: W 2x2x3x1 does not match kernel size 3 on axis 3");
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 0, 4}), f32({2, 2, 3, 3})}),
            "ConvTranspose: X 1x2x0x4 is empty on spatial axis 2");
  p.padBegin[1] = 3;
  p.padEnd[1] = 3;
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 2, 2}), f32({2, 2, 3, 3})}),
            "ConvTranspose: pads 3+3 leave no output on axis 3 (unpadded size 4)");
  p = deconv2d(3, 3);
  p.outputPadding[0] = -1;
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 2, 2}), f32({2, 2, 3, 3})}),
            "ConvTranspose: negative output padding -1 on spatial axis 0");
  p = deconv2d(3, 3);
  p.hasBias = 1;
  EXPECT_EQ(
      inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 2, 2}), f32({2, 2, 3, 3}), f32({3})}),
      "ConvTranspose: bias 3 does not match 2 output channels");
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 2, 2}), f32({2, 2, 3, 3})}),
            "ConvTranspose: hasBias is 1 but the bias input is absent");
  p = deconv2d(3, 3);
  p.spatialRank = 0;
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &p, {f32({1, 2, 2, 2}), f32({2, 2, 3, 3})}),
            "ConvTranspose: spatial rank 0 is not 1 or 2");
  ConvTransposeParams d;
  d.spatialRank = 1;
  d.kernel[1] = 3;
  d.outputPadding[0] = 1;
  EXPECT_EQ(inferError(OpCode::kConvTranspose, &d, {f32({1, 2, 5}), f32({2, 2, 3})}),
            "ConvTranspose: 1-D conv needs kernel[0] 1, stride[0] 1, dilation[0] 1, pads[0] 0 and "
            "outputPadding[0] 0, found 1, 1, 1, 0+0, 1");
}

TEST(ConvTransposeRef, AbsurdParametersFailWithoutOverflow) {
  // stride * (in - 1) is 2^31 * 2^39: beyond int64. Infer reports it instead of wrapping.
  ConvTransposeParams p = deconv2d(1, 1);
  p.stride[1] = std::numeric_limits<std::int32_t>::max();
  const std::int64_t wide = std::int64_t{1} << 39;
  auto y = inferOp(OpCode::kConvTranspose, &p, {f32({1, 1, 1, wide}), f32({1, 1, 1, 1})});
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.error().message(), "ConvTranspose: output size on axis 3 overflows");

  // Large but representable: a size check, not an overflow.
  p.stride[1] = 1 << 20;
  y = inferOp(OpCode::kConvTranspose, &p,
              {f32({1, 1, 1, std::int64_t{1} << 30}), f32({1, 1, 1, 1})});
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.error().code(), Errc::kCorrupt);
}

}  // namespace
}  // namespace edgert::kernels
