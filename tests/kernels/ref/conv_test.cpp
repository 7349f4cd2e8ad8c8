// Conv reference kernel: hand-computed cases, infer errors, and random cases against an
// independent im2col + matrix-product formulation written here.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

ConvParams conv2d(std::int32_t kH, std::int32_t kW) {
  ConvParams p;
  p.kernel[0] = kH;
  p.kernel[1] = kW;
  return p;
}

ConvParams conv1d(std::int32_t k) {
  ConvParams p;
  p.spatialRank = 1;
  p.kernel[1] = k;
  return p;
}

Tensor runConv(const ConvParams& p, const Tensor& x, const Tensor& w, const Tensor* bias = nullptr,
               const Tensor* residual = nullptr) {
  return runOp(OpCode::kConv, &p, {&x, &w, bias, residual});
}

// The independent formulation: per image and group, unfold X into columns (one per output
// pixel, one row per (channel, kh, kw) tap, zeros for padding) and multiply by W's rows.
std::vector<float> convByIm2col(const ConvParams& p, const Tensor& x, const Tensor& w,
                                const Tensor* bias, const Shape& yShape) {
  const bool oneD = p.spatialRank == 1;
  const std::int64_t n = x.shape.dims[0], c = x.shape.dims[1];
  const std::int64_t h = oneD ? 1 : x.shape.dims[2], wd = x.shape.dims[oneD ? 2 : 3];
  const std::int64_t m = yShape.dims[1];
  const std::int64_t oh = oneD ? 1 : yShape.dims[2], ow = yShape.dims[oneD ? 2 : 3];
  const std::int64_t kh = p.kernel[0], kw = p.kernel[1];
  const std::int64_t cg = c / p.group, mg = m / p.group;
  const std::int64_t rows = cg * kh * kw, cols = oh * ow;
  std::vector<float> y(static_cast<std::size_t>(n * m * cols));
  std::vector<double> col(static_cast<std::size_t>(rows * cols));
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t g = 0; g < p.group; ++g) {
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t ci = r / (kh * kw), th = (r / kw) % kh, tw = r % kw;
        for (std::int64_t j = 0; j < cols; ++j) {
          const std::int64_t iy = (j / ow) * p.stride[0] - p.padBegin[0] + th * p.dilation[0];
          const std::int64_t ix = (j % ow) * p.stride[1] - p.padBegin[1] + tw * p.dilation[1];
          const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
          col[static_cast<std::size_t>(r * cols + j)] =
              inside ? x.data[static_cast<std::size_t>(((b * c + g * cg + ci) * h + iy) * wd + ix)]
                     : 0.0;
        }
      }
      for (std::int64_t mm = 0; mm < mg; ++mm) {
        const std::int64_t outChannel = g * mg + mm;
        for (std::int64_t j = 0; j < cols; ++j) {
          double sum = bias ? bias->data[static_cast<std::size_t>(outChannel)] : 0.0;
          for (std::int64_t r = 0; r < rows; ++r) {
            sum += w.data[static_cast<std::size_t>(outChannel * rows + r)] *
                   col[static_cast<std::size_t>(r * cols + j)];
          }
          y[static_cast<std::size_t>((b * m + outChannel) * cols + j)] = static_cast<float>(sum);
        }
      }
    }
  }
  return y;
}

// Runs the kernel and the im2col formulation on random data of the given shapes.
void checkAgainstIm2col(const ConvParams& p, const Shape& xShape, const Shape& wShape,
                        std::uint32_t seed) {
  std::mt19937 rng(seed);
  const Tensor x = randomTensor(xShape, rng);
  const Tensor w = randomTensor(wShape, rng);
  const Tensor bias = randomTensor(Shape::of({wShape.dims[0]}), rng);
  const Tensor y = runConv(p, x, w, p.hasBias ? &bias : nullptr);
  expectClose(y.data, convByIm2col(p, x, w, p.hasBias ? &bias : nullptr, y.shape));
}

TEST(ConvRef, HandComputed2x2KernelOn3x3) {
  const Tensor x = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor w = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor y = runConv(conv2d(2, 2), x, w);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  // 1*1 + 2*2 + 4*3 + 5*4 = 37, and so on.
  expectClose(y.data, {37, 47, 67, 77}, 0, 0);
}

TEST(ConvRef, HandComputedBias) {
  const Tensor x = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor w = tensor({2, 1, 2, 2}, {1, 2, 3, 4, 0, 0, 0, -1});
  const Tensor b = tensor({2}, {0.5f, -2});
  ConvParams p = conv2d(2, 2);
  p.hasBias = 1;
  const Tensor y = runConv(p, x, w, &b);
  EXPECT_EQ(y.shape, Shape::of({1, 2, 2, 2}));
  expectClose(y.data, {37.5f, 47.5f, 67.5f, 77.5f, -7, -8, -10, -11}, 0, 0);
}

TEST(ConvRef, HandComputedPadsAndStride) {
  // All-ones 3x3 kernel, pads 1, stride 2: each output sums the part of its window inside X.
  const Tensor x = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor w = tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  ConvParams p = conv2d(3, 3);
  p.stride[0] = p.stride[1] = 2;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  const Tensor y = runConv(p, x, w);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9}, 0, 0);
}

TEST(ConvRef, HandComputedAsymmetricPadsAndDilation) {
  // 1x5 input, kernel 1x2 with dilation 2, pads left 1 right 2:
  // padded = [0, 1, 2, 3, 4, 5, 0, 0], taps at i and i + 2 -> 6 outputs.
  const Tensor x = tensor({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  const Tensor w = tensor({1, 1, 1, 2}, {10, 1});
  ConvParams p = conv2d(1, 2);
  p.dilation[1] = 2;
  p.padBegin[1] = 1;
  p.padEnd[1] = 2;
  const Tensor y = runConv(p, x, w);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1, 6}));
  expectClose(y.data, {0 + 2, 10 + 3, 20 + 4, 30 + 5, 40 + 0, 50 + 0}, 0, 0);
}

TEST(ConvRef, HandComputed1D) {
  const Tensor x = tensor({1, 1, 5}, {1, 2, 3, 4, 5});
  const Tensor w = tensor({1, 1, 3}, {1, 0, -1});
  ConvParams p = conv1d(3);
  p.padBegin[1] = 1;
  const Tensor y = runConv(p, x, w);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 4}));
  expectClose(y.data, {-2, -2, -2, -2}, 0, 0);
}

TEST(ConvRef, OutputShapes) {
  ConvParams p = conv2d(7, 7);
  p.stride[0] = p.stride[1] = 2;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 3;
  auto y = inferOp(OpCode::kConv, &p, {f32({1, 3, 224, 224}), f32({64, 3, 7, 7})});
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ(*y, f32({1, 64, 112, 112}));

  ConvParams q = conv2d(3, 1);
  q.stride[0] = 3;
  q.dilation[0] = 2;
  q.padEnd[0] = 1;
  q.group = 4;
  y = inferOp(OpCode::kConv, &q, {f32({2, 8, 11, 5}), f32({12, 2, 3, 1})});
  ASSERT_TRUE(y.ok()) << y.error().message();
  // (11 + 1 - 5) / 3 + 1 = 3 rows; width unchanged.
  EXPECT_EQ(*y, f32({2, 12, 3, 5}));
}

TEST(ConvRef, RandomMatchesIm2col) {
  ConvParams p = conv2d(3, 2);
  p.stride[0] = 2;
  p.dilation[1] = 2;
  p.padBegin[0] = 1;
  p.padEnd[0] = 2;
  p.padEnd[1] = 1;
  p.hasBias = 1;
  checkAgainstIm2col(p, Shape::of({2, 3, 7, 5}), Shape::of({5, 3, 3, 2}), 1);

  ConvParams q = conv2d(5, 5);
  q.stride[0] = q.stride[1] = 3;
  q.padBegin[0] = q.padBegin[1] = q.padEnd[0] = q.padEnd[1] = 4;  // pads wider than X
  checkAgainstIm2col(q, Shape::of({1, 2, 3, 2}), Shape::of({3, 2, 5, 5}), 2);

  checkAgainstIm2col(conv2d(1, 1), Shape::of({1, 1, 1, 1}), Shape::of({1, 1, 1, 1}), 3);
  checkAgainstIm2col(conv2d(13, 11), Shape::of({1, 2, 13, 11}), Shape::of({7, 2, 13, 11}), 4);
}

TEST(ConvRef, RandomGroupedMatchesIm2col) {
  ConvParams p = conv2d(3, 3);
  p.group = 3;
  p.stride[1] = 2;
  p.padBegin[0] = p.padBegin[1] = 1;
  p.hasBias = 1;
  checkAgainstIm2col(p, Shape::of({2, 9, 7, 11}), Shape::of({6, 3, 3, 3}), 5);
}

TEST(ConvRef, GroupsEqualSeparateConvs) {
  // A grouped conv is `group` independent convs over channel slices, concatenated.
  std::mt19937 rng(6);
  constexpr std::int64_t kGroups = 3, kCg = 2, kMg = 5, kH = 6, kW = 7;
  const Tensor x = randomTensor(Shape::of({1, kGroups * kCg, kH, kW}), rng);
  const Tensor w = randomTensor(Shape::of({kGroups * kMg, kCg, 3, 2}), rng);
  ConvParams p = conv2d(3, 2);
  p.group = static_cast<std::int32_t>(kGroups);
  p.padBegin[0] = 2;
  p.dilation[0] = 2;
  const Tensor y = runConv(p, x, w);

  ConvParams single = p;
  single.group = 1;
  const std::int64_t planeIn = kH * kW;
  for (std::int64_t g = 0; g < kGroups; ++g) {
    Tensor xg = tensor({1, kCg, kH, kW});
    std::copy_n(x.data.begin() + g * kCg * planeIn, kCg * planeIn, xg.data.begin());
    Tensor wg = tensor({kMg, kCg, 3, 2});
    std::copy_n(w.data.begin() + g * kMg * kCg * 6, kMg * kCg * 6, wg.data.begin());
    const Tensor yg = runConv(single, xg, wg);
    const std::size_t planeOut = yg.data.size() / kMg;
    const std::vector<float> slice(
        y.data.begin() + static_cast<std::ptrdiff_t>(g * kMg * planeOut),
        y.data.begin() + static_cast<std::ptrdiff_t>((g + 1) * kMg * planeOut));
    expectClose(slice, yg.data);
  }
}

TEST(ConvRef, Depthwise) {
  // group == C, two filters per channel: output channel m reads only input channel m / 2.
  std::mt19937 rng(7);
  const Tensor x = randomTensor(Shape::of({2, 5, 4, 3}), rng);
  const Tensor w = randomTensor(Shape::of({10, 1, 3, 3}), rng);
  ConvParams p = conv2d(3, 3);
  p.group = 5;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  const Tensor y = runConv(p, x, w);
  ASSERT_EQ(y.shape, Shape::of({2, 10, 4, 3}));
  for (int n = 0; n < 2; ++n) {
    for (int m = 0; m < 10; ++m) {
      for (int oh = 0; oh < 4; ++oh) {
        for (int ow = 0; ow < 3; ++ow) {
          double want = 0;
          for (int i = -1; i <= 1; ++i) {
            for (int j = -1; j <= 1; ++j) {
              if (oh + i < 0 || oh + i >= 4 || ow + j < 0 || ow + j >= 3) continue;
              want +=
                  x.data[static_cast<std::size_t>(((n * 5 + m / 2) * 4 + oh + i) * 3 + ow + j)] *
                  w.data[static_cast<std::size_t>(m * 9 + (i + 1) * 3 + (j + 1))];
            }
          }
          EXPECT_NEAR(y.data[static_cast<std::size_t>(((n * 10 + m) * 4 + oh) * 3 + ow)], want,
                      1e-5);
        }
      }
    }
  }
}

TEST(ConvRef, Random1DMatchesIm2col) {
  ConvParams p = conv1d(4);
  p.stride[1] = 3;
  p.dilation[1] = 2;
  p.padBegin[1] = 2;
  p.padEnd[1] = 5;
  p.group = 2;
  p.hasBias = 1;
  checkAgainstIm2col(p, Shape::of({3, 4, 17}), Shape::of({6, 2, 4}), 8);
}

TEST(ConvRef, FusedResidualAndActivationEqualSeparateSteps) {
  std::mt19937 rng(9);
  const Tensor x = randomTensor(Shape::of({2, 3, 5, 7}), rng);
  const Tensor w = randomTensor(Shape::of({4, 3, 3, 3}), rng);
  const Tensor b = randomTensor(Shape::of({4}), rng);
  ConvParams plain = conv2d(3, 3);
  plain.padBegin[0] = plain.padBegin[1] = plain.padEnd[0] = plain.padEnd[1] = 1;
  const Tensor conv = runConv(plain, x, w);
  const Tensor residual = randomTensor(conv.shape, rng);
  const std::int64_t plane = 5 * 7;

  const ActivationParams acts[] = {
      {Activation::kNone, {}, 0, 0},         {Activation::kRelu, {}, 0, 0},
      {Activation::kLeakyRelu, {}, 0.1f, 0}, {Activation::kClip, {}, -0.5f, 0.5f},
      {Activation::kSigmoid, {}, 0, 0},      {Activation::kHardSwish, {}, 0, 0},
  };
  for (const ActivationParams& act : acts) {
    for (int withBias = 0; withBias < 2; ++withBias) {
      ConvParams fused = plain;
      fused.hasBias = static_cast<std::uint8_t>(withBias);
      fused.hasResidual = 1;
      fused.activation = act;
      const Tensor y = runConv(fused, x, w, withBias ? &b : nullptr, &residual);
      std::vector<float> want(conv.data.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        const std::size_t channel = (i / static_cast<std::size_t>(plane)) % 4;
        float v = conv.data[i] + (withBias ? b.data[channel] : 0.0f) + residual.data[i];
        switch (act.kind) {
          case Activation::kRelu: v = std::max(v, 0.0f); break;
          case Activation::kLeakyRelu: v = v < 0 ? 0.1f * v : v; break;
          case Activation::kClip: v = std::clamp(v, -0.5f, 0.5f); break;
          case Activation::kSigmoid: v = 1.0f / (1.0f + std::exp(-v)); break;
          case Activation::kHardSwish: v = v * std::clamp(v / 6.0f + 0.5f, 0.0f, 1.0f); break;
          default: break;
        }
        want[i] = v;
      }
      expectClose(y.data, want);
    }
  }
}

TEST(ConvRef, ResidualWithoutBias) {
  const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor w = tensor({1, 1, 1, 1}, {2});
  const Tensor r = tensor({1, 1, 2, 2}, {-10, 0, 10, -100});
  ConvParams p = conv2d(1, 1);
  p.hasResidual = 1;
  p.activation.kind = Activation::kRelu;
  const Tensor y = runConv(p, x, w, nullptr, &r);
  expectClose(y.data, {0, 4, 16, 0}, 0, 0);
}

TEST(ConvRef, OutputMayOverwriteTheResidual) {
  // The planner may place Y on the residual (OpInfo::aliasInputs bit 3): the kernel reads each
  // residual element before it writes that element of Y, so the result is the same as with
  // separate buffers. Grouped, strided, with bias and a nonlinear activation.
  std::mt19937 rng(10);
  const Tensor x = randomTensor(Shape::of({2, 4, 7, 6}), rng);
  const Tensor w = randomTensor(Shape::of({6, 2, 3, 3}), rng);
  const Tensor b = randomTensor(Shape::of({6}), rng);
  ConvParams p = conv2d(3, 3);
  p.group = 2;
  p.stride[0] = 2;
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  p.hasBias = 1;
  p.hasResidual = 1;
  p.activation = {Activation::kLeakyRelu, {}, 0.1f, 0};
  const Tensor residual = randomTensor(Shape::of({2, 6, 4, 6}), rng);
  const Tensor separate = runConv(p, x, w, &b, &residual);
  ASSERT_EQ(separate.shape, residual.shape);
  const Tensor inPlace = runOp(OpCode::kConv, &p, {&x, &w, &b, &residual}, overInput(3));
  EXPECT_EQ(inPlace.shape, separate.shape);
  expectClose(inPlace.data, separate.data, 0, 0);
}

TEST(ConvRef, EmptyBatch) {
  const Tensor x = tensor({0, 2, 3, 3});
  const Tensor w = tensor({4, 2, 3, 3}, std::vector<float>(72, 1.0f));
  const Tensor y = runConv(conv2d(3, 3), x, w);
  EXPECT_EQ(y.shape, Shape::of({0, 4, 1, 1}));
}

TEST(ConvRef, InferErrors) {
  ConvParams p = conv2d(3, 3);
  p.group = 3;
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 16, 8, 8}), f32({6, 5, 3, 3})}),
            "Conv: group 3 does not divide 16 input channels");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 15, 8, 8}), f32({16, 5, 3, 3})}),
            "Conv: group 3 does not divide 16 output channels");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 15, 8, 8}), f32({6, 3, 3, 3})}),
            "Conv: W 6x3x3x3 has 3 input channels per group, expected 15 / group 3 = 5");
  p.group = 1;
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 8}), f32({4, 2, 3, 2})}),
            "Conv: W 4x2x3x2 does not match kernel size 3 on axis 3");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 2}), f32({4, 2, 3, 3})}),
            "Conv: kernel extent 3 exceeds padded input 2 on axis 3");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8}), f32({4, 2, 3, 3})}),
            "Conv: X 1x2x8 and W 4x2x3x3 must both have rank 4 for a 2-D conv");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3}), f32({4})}),
            "Conv: hasBias is 0 but the bias input is present");
  p.hasBias = 1;
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: hasBias is 1 but the bias input is absent");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3}), absentType()}),
            "Conv: hasBias is 1 but the bias input is absent");
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3}), f32({1, 4})}),
            "Conv: bias 1x4 does not match 4 output channels");
  p.hasResidual = 1;
  EXPECT_EQ(inferError(OpCode::kConv, &p,
                       {f32({1, 2, 8, 8}), f32({4, 2, 3, 3}), f32({4}), f32({1, 4, 8, 8})}),
            "Conv: residual 1x4x8x8 does not match output 1x4x6x6");
  p.hasResidual = 2;
  EXPECT_EQ(inferError(OpCode::kConv, &p, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3}), f32({4})}),
            "Conv: hasResidual is 2, expected 0 or 1");

  ConvParams q = conv2d(3, 3);
  EXPECT_EQ(inferError(OpCode::kConv, &q,
                       {TensorType{DType::kInt8, Shape::of({1, 2, 8, 8})}, f32({4, 2, 3, 3})}),
            "Conv: input 0 is int8, expected float32");
  q.spatialRank = 3;
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: spatial rank 3 is not 1 or 2");
  q = conv2d(3, 3);
  q.stride[1] = 0;
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: kernel 3, stride 0, dilation 1 on spatial axis 1: each must be at least 1");
  q = conv2d(3, 3);
  q.padEnd[0] = -1;
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: negative pads 0, -1 on spatial axis 0");
  q = conv2d(3, 3);
  q.group = 0;
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: group 0 is below 1");
  q = conv2d(3, 3);
  q.weightLayout = 2;
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: weight layout 2 is not supported (only 0, OIHW)");
  q = conv2d(3, 3);
  q.activation.kind = static_cast<Activation>(200);
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8}), f32({4, 2, 3, 3})}),
            "Conv: unknown activation 200");
  ConvParams r = conv1d(3);
  r.stride[0] = 2;
  EXPECT_EQ(inferError(OpCode::kConv, &r, {f32({1, 2, 8}), f32({4, 2, 3})}),
            "Conv: 1-D conv needs kernel[0] 1, stride[0] 1, dilation[0] 1 and pads[0] 0, found 1, "
            "2, 1, 0+0");
  EXPECT_EQ(inferError(OpCode::kConv, &q, {f32({1, 2, 8, 8})}),
            "Conv: expected 2..4 inputs, found 1");
}

TEST(ConvRef, AbsurdParametersFailWithoutOverflow) {
  // Largest pads and dilations: the arithmetic stays in range (UBSan would flag it) and the
  // result is an error, not a wrapped size.
  ConvParams p = conv2d(2, 2);
  p.dilation[0] = p.dilation[1] = std::numeric_limits<std::int32_t>::max();
  auto y = inferOp(OpCode::kConv, &p, {f32({1, 1, 4, 4}), f32({1, 1, 2, 2})});
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.error().message(), "Conv: kernel extent 2147483648 exceeds padded input 4 on axis 2");

  ConvParams q = conv2d(1, 1);
  q.padBegin[0] = q.padBegin[1] = q.padEnd[0] = q.padEnd[1] =
      std::numeric_limits<std::int32_t>::max();
  y = inferOp(OpCode::kConv, &q, {f32({1, 1, 4, 4}), f32({1, 1, 1, 1})});
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.error().code(), Errc::kCorrupt);
  EXPECT_EQ(y.error().message(),
            "Conv: shape 1x1x4294967298x4294967298 has more than 2^40 elements");

  ConvParams s = conv2d(1, 1);
  s.stride[0] = s.stride[1] = std::numeric_limits<std::int32_t>::max();
  y = inferOp(OpCode::kConv, &s, {f32({1, 1, 4, 4}), f32({1, 1, 1, 1})});
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ(*y, f32({1, 1, 1, 1}));
}

}  // namespace
}  // namespace edgert::kernels
