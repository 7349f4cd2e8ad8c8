// Resize reference kernel: the ONNX conformance examples recomputed by hand, every nearest
// rounding under each coordinate transform, N-linear against repeated 1-D linear passes
// written here, and infer errors.
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

ResizeParams resize(ResizeMode mode, CoordinateTransform transform, std::vector<float> scales,
                    const Shape& out,
                    NearestRounding rounding = NearestRounding::kRoundPreferFloor) {
  ResizeParams p;
  p.mode = mode;
  p.transform = transform;
  p.rounding = rounding;
  for (std::size_t i = 0; i < scales.size(); ++i) p.scale[i] = scales[i];
  p.outputShape = out;
  return p;
}

// As the compiler stores ONNX `sizes`: scale = out / in per axis, as a float.
ResizeParams resizeToSizes(ResizeMode mode, CoordinateTransform transform, const Shape& in,
                           const Shape& out,
                           NearestRounding rounding = NearestRounding::kRoundPreferFloor) {
  std::vector<float> scales;
  for (int i = 0; i < in.rank; ++i) {
    scales.push_back(
        static_cast<float>(static_cast<double>(out.dims[i]) / static_cast<double>(in.dims[i])));
  }
  return resize(mode, transform, scales, out, rounding);
}

Tensor runResize(const ResizeParams& p, const Tensor& x) {
  return runOp(OpCode::kResize, &p, {&x});
}

constexpr auto kNearest = ResizeMode::kNearest;
constexpr auto kLinear = ResizeMode::kLinear;
constexpr auto kHalfPixel = CoordinateTransform::kHalfPixel;
constexpr auto kAlignCorners = CoordinateTransform::kAlignCorners;
constexpr auto kAsymmetric = CoordinateTransform::kAsymmetric;
constexpr auto kPytorchHalfPixel = CoordinateTransform::kPytorchHalfPixel;
constexpr auto kTfHalfPixel = CoordinateTransform::kTfHalfPixelForNearest;

TEST(ResizeRef, NearestUpsampleScales) {
  const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor y =
      runResize(resize(kNearest, kHalfPixel, {1, 1, 2, 3}, Shape::of({1, 1, 4, 6})), x);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 4, 6}));
  expectClose(y.data, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0,
              0);
}

TEST(ResizeRef, NearestDownsampleScales) {
  // Output floor(2 * 0.6) x floor(4 * 0.6); columns from (x + 0.5) / 0.6 - 0.5 = 0.33, 2.0.
  const Tensor x = tensor({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor y =
      runResize(resize(kNearest, kHalfPixel, {1, 1, 0.6f, 0.6f}, Shape::of({1, 1, 1, 2})), x);
  expectClose(y.data, {1, 3}, 0, 0);
}

TEST(ResizeRef, NearestUpsampleSizes) {
  // Rows: (y + 0.5) / 3.5 - 0.5 ties at y = 3 and rounds down there.
  const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Shape out = Shape::of({1, 1, 7, 8});
  const Tensor y = runResize(resizeToSizes(kNearest, kHalfPixel, x.shape, out), x);
  std::vector<float> want;
  for (int r = 0; r < 7; ++r) {
    for (int c = 0; c < 8; ++c)
      want.push_back(static_cast<float>((r < 4 ? 1 : 3) + (c < 4 ? 0 : 1)));
  }
  expectClose(y.data, want, 0, 0);
}

TEST(ResizeRef, LinearUpsample) {
  const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor y = runResize(resize(kLinear, kHalfPixel, {1, 1, 2, 2}, Shape::of({1, 1, 4, 4})), x);
  expectClose(y.data, {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3,
                       3.25f, 3.75f, 4});
}

TEST(ResizeRef, LinearUpsampleAlignCorners) {
  const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor y =
      runResize(resize(kLinear, kAlignCorners, {1, 1, 2, 2}, Shape::of({1, 1, 4, 4})), x);
  const float t = 1.0f / 3.0f;
  expectClose(y.data, {1, 1 + t, 1 + 2 * t, 2, 1 + 2 * t, 2, 2 + t, 2 + 2 * t, 2 + t, 2 + 2 * t, 3,
                       3 + t, 3, 3 + t, 3 + 2 * t, 4});
}

TEST(ResizeRef, LinearDownsample) {
  const Tensor x = tensor({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor y =
      runResize(resize(kLinear, kHalfPixel, {1, 1, 0.6f, 0.6f}, Shape::of({1, 1, 1, 2})), x);
  expectClose(y.data, {2.6666665f, 4.3333331f});
}

TEST(ResizeRef, LinearDownsampleAlignCornersUsesTheUnroundedLength) {
  // Columns: x * 3 / (4 * 0.6 - 1) = 0, 2.142857 (ONNX's reference divides by the
  // unrounded output length 2.4 - 1, not by 2 - 1).
  const Tensor x = tensor({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor y =
      runResize(resize(kLinear, kAlignCorners, {1, 1, 0.6f, 0.6f}, Shape::of({1, 1, 1, 2})), x);
  expectClose(y.data, {1, 3.142857f});
}

TEST(ResizeRef, LinearDownsamplePytorchHalfPixel) {
  // Width 4 -> 1: pytorch_half_pixel maps the single column to 0.
  Tensor x = tensor({1, 1, 4, 4});
  for (std::size_t i = 0; i < 16; ++i) x.data[i] = static_cast<float>(i + 1);
  const Tensor y =
      runResize(resizeToSizes(kLinear, kPytorchHalfPixel, x.shape, Shape::of({1, 1, 3, 1})), x);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 3, 1}));
  expectClose(y.data, {1.6666666f, 7, 12.333333f});
  // half_pixel maps it to the centre instead: (0 + 0.5) * 4 - 0.5 = 1.5.
  const Tensor h =
      runResize(resizeToSizes(kLinear, kHalfPixel, x.shape, Shape::of({1, 1, 3, 1})), x);
  expectClose(h.data, {1.6666666f + 1.5f, 8.5f, 12.333333f + 1.5f});
}

TEST(ResizeRef, NearestRoundingUnderEachTransform) {
  const Tensor x = tensor({4}, {10, 20, 30, 40});
  struct Case {
    CoordinateTransform transform;
    NearestRounding rounding;
    std::int64_t out;
    std::vector<float> want;
  };
  using R = NearestRounding;
  const Case cases[] = {
      // half_pixel, x2: source -0.25, 0.25, 0.75, 1.25, ..., 3.25.
      {kHalfPixel, R::kRoundPreferFloor, 8, {10, 10, 20, 20, 30, 30, 40, 40}},
      {kHalfPixel, R::kRoundPreferCeil, 8, {10, 10, 20, 20, 30, 30, 40, 40}},
      {kHalfPixel, R::kFloor, 8, {10, 10, 10, 20, 20, 30, 30, 40}},
      {kHalfPixel, R::kCeil, 8, {10, 20, 20, 30, 30, 40, 40, 40}},
      // asymmetric, x2: source 0, 0.5, 1, ..., 3.5: the ties decide.
      {kAsymmetric, R::kRoundPreferFloor, 8, {10, 10, 20, 20, 30, 30, 40, 40}},
      {kAsymmetric, R::kRoundPreferCeil, 8, {10, 20, 20, 30, 30, 40, 40, 40}},
      {kAsymmetric, R::kFloor, 8, {10, 10, 20, 20, 30, 30, 40, 40}},
      {kAsymmetric, R::kCeil, 8, {10, 20, 20, 30, 30, 40, 40, 40}},
      // tf_half_pixel_for_nearest, x2: source 0.25, 0.75, ..., 3.75.
      {kTfHalfPixel, R::kRoundPreferFloor, 8, {10, 20, 20, 30, 30, 40, 40, 40}},
      {kTfHalfPixel, R::kFloor, 8, {10, 10, 20, 20, 30, 30, 40, 40}},
      // align_corners, 4 -> 7: source x / 2 = 0, 0.5, ..., 3.
      {kAlignCorners, R::kFloor, 7, {10, 10, 20, 20, 30, 30, 40}},
      {kAlignCorners, R::kRoundPreferCeil, 7, {10, 20, 20, 30, 30, 40, 40}},
      {kAlignCorners, R::kRoundPreferFloor, 7, {10, 10, 20, 20, 30, 30, 40}},
      // pytorch_half_pixel, x0.5: source 0.5, 2.5.
      {kPytorchHalfPixel, R::kRoundPreferFloor, 2, {10, 30}},
      {kPytorchHalfPixel, R::kRoundPreferCeil, 2, {20, 40}},
  };
  for (const Case& c : cases) {
    const ResizeParams p =
        resizeToSizes(kNearest, c.transform, x.shape, Shape::of({c.out}), c.rounding);
    const Tensor y = runResize(p, x);
    SCOPED_TRACE(testing::Message() << "transform " << static_cast<int>(c.transform) << " rounding "
                                    << static_cast<int>(c.rounding));
    expectClose(y.data, c.want, 0, 0);
  }
}

TEST(ResizeRef, ScaleDerivedFromSizesKeepsExactTies) {
  // 3 -> 2 by sizes: float(2/3) is slightly above 2/3, which would put output 1 just below
  // the tie at 1.5; the exact ratio keeps the tie, and round_prefer_ceil takes element 2.
  const Tensor x = tensor({3}, {10, 20, 30});
  const ResizeParams p = resizeToSizes(kNearest, kAsymmetric, x.shape, Shape::of({2}),
                                       NearestRounding::kRoundPreferCeil);
  ASSERT_GT(static_cast<double>(p.scale[0]), 2.0 / 3.0);
  expectClose(runResize(p, x).data, {10, 30}, 0, 0);
}

// Independent formulation of linear resize: one axis at a time, each output element blends
// the two elements around its source coordinate, indexes past either end clamped to the edge
// (ONNX's reference pads the data with its edge values).
Tensor linearAlongAxis(const Tensor& x, int axis, std::int64_t out, double scale,
                       CoordinateTransform transform) {
  const std::int64_t in = x.shape.dims[axis];
  std::int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.shape.dims[i];
  for (int i = axis + 1; i < x.shape.rank; ++i) inner *= x.shape.dims[i];
  Tensor y{x.shape, {}};
  y.shape.dims[axis] = out;
  y.data.resize(static_cast<std::size_t>(y.shape.numel()));
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t j = 0; j < out; ++j) {
      double src = 0;
      switch (transform) {
        case kHalfPixel: src = (j + 0.5) / scale - 0.5; break;
        case kAsymmetric: src = j / scale; break;
        case kAlignCorners: src = out == 1 ? 0 : j * (in - 1.0) / (in * scale - 1.0); break;
        case kPytorchHalfPixel: src = out == 1 ? 0 : (j + 0.5) / scale - 0.5; break;
        case kTfHalfPixel: src = (j + 0.5) / scale; break;
      }
      const double lowerD = std::floor(src);
      const double ratio = src - lowerD;
      const auto edge = [&](double i) {
        return static_cast<std::int64_t>(std::clamp(i, 0.0, in - 1.0));
      };
      const std::int64_t lo = edge(lowerD), hi = edge(lowerD + 1);
      for (std::int64_t i = 0; i < inner; ++i) {
        const double a = x.data[static_cast<std::size_t>((o * in + lo) * inner + i)];
        const double b = x.data[static_cast<std::size_t>((o * in + hi) * inner + i)];
        y.data[static_cast<std::size_t>((o * out + j) * inner + i)] =
            static_cast<float>((1 - ratio) * a + ratio * b);
      }
    }
  }
  return y;
}

TEST(ResizeRef, NLinearEqualsOneAxisAtATime) {
  std::mt19937 rng(1);
  struct Case {
    Shape in, out;
    std::vector<float> scales;
    CoordinateTransform transform;
  };
  const Case cases[] = {
      {Shape::of({2, 3, 5, 4}), Shape::of({2, 3, 9, 3}), {1, 1, 1.8f, 0.75f}, kHalfPixel},
      {Shape::of({2, 3, 5, 4}),
       Shape::of({2, 5, 11, 7}),
       {1, 5 / 3.0f, 2.2f, 7 / 4.0f},
       kAlignCorners},
      {Shape::of({3, 7, 2}), Shape::of({6, 3, 5}), {2, 3 / 7.0f, 2.5f}, kAsymmetric},
      {Shape::of({1, 1, 1, 13}), Shape::of({1, 1, 3, 1}), {1, 1, 3, 1 / 13.0f}, kPytorchHalfPixel},
      {Shape::of({2, 1, 3, 2, 2}),
       Shape::of({2, 1, 4, 2, 3}),
       {1, 1, 4 / 3.0f, 1, 1.5f},
       kHalfPixel},
  };
  for (const Case& c : cases) {
    const Tensor x = randomTensor(c.in, rng);
    const ResizeParams p = resize(kLinear, c.transform, c.scales, c.out);
    const Tensor y = runResize(p, x);
    ASSERT_EQ(y.shape, c.out);
    Tensor want = x;
    for (int axis = 0; axis < c.in.rank; ++axis) {
      if (c.in.dims[axis] == c.out.dims[axis] && c.scales[static_cast<std::size_t>(axis)] == 1.0f)
        continue;
      // The kernel uses out / in when the float scale only rounds it; so does this.
      const double exact =
          static_cast<double>(c.out.dims[axis]) / static_cast<double>(c.in.dims[axis]);
      const double stored = c.scales[static_cast<std::size_t>(axis)];
      const double scale =
          std::fabs(stored * c.in.dims[axis] - c.out.dims[axis]) < 1e-5 ? exact : stored;
      want = linearAlongAxis(want, axis, c.out.dims[axis], scale, c.transform);
    }
    expectClose(y.data, want.data);
  }
}

TEST(ResizeRef, InferErrors) {
  ResizeParams p = resize(kLinear, kHalfPixel, {1, 1, 2, 2}, Shape::of({1, 1, 4, 4}));
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}), "ok");
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 2, 2})}),
            "Resize: output shape 1x1x4x4 does not have the rank of X 1x2x2");
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 3})}),
            "Resize: output size 4 on axis 3 does not match input size 3 times scale 2");
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 0})}),
            "Resize: cannot resize empty axis 3 of X 1x1x2x0 to 4");
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({})}), "Resize: X is a scalar");
  EXPECT_EQ(inferError(OpCode::kResize, &p, {TensorType{DType::kUint8, Shape::of({1, 1, 2, 2})}}),
            "Resize: input 0 is uint8, expected float32");
  p.scale[2] = 0;
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}),
            "Resize: scale 0 on axis 2 is not a finite value > 0");
  p.scale[2] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}),
            "Resize: scale inf on axis 2 is not a finite value > 0");
  p.scale[2] = 2;
  p.mode = static_cast<ResizeMode>(3);
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}), "Resize: unknown mode 3 or exclude flag 0");
  p.mode = kNearest;
  p.transform = static_cast<CoordinateTransform>(5);
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}),
            "Resize: unknown coordinate transform 5");
  p.transform = kHalfPixel;
  p.rounding = static_cast<NearestRounding>(255);
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}),
            "Resize: unknown nearest rounding 255");
  p.rounding = NearestRounding::kFloor;
  p.outputShape.dims[3] = -4;
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}), "Resize: dimension 3 is -4");
  p.outputShape.rank = 9;
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 1, 2, 2})}), "Resize: rank 9 outside 0..8");
}

TEST(ResizeRef, ExtremeScalesStayInRange) {
  // A tiny scale puts every source coordinate far past the end: clamped, never converted
  // out of range.
  const Tensor x = tensor({1, 3}, {1, 2, 3});
  ResizeParams p = resize(kNearest, kAsymmetric, {1, 1e-30f}, Shape::of({1, 1}));
  expectClose(runResize(p, x).data, {1}, 0, 0);
  p = resize(kNearest, kTfHalfPixel, {1, 1e-30f}, Shape::of({1, 1}));
  expectClose(runResize(p, x).data, {3}, 0, 0);
  p = resize(kLinear, kHalfPixel, {1, 1e-30f}, Shape::of({1, 1}));
  expectClose(runResize(p, x).data, {3}, 0, 0);
}

// Cubic on an impulse shows the kernel's weights: with a = -0.75, distance 0.5 weighs
// 0.59375 and 1.5 weighs -0.09375; whole coordinates copy. exclude_outside drops the tap
// left of X and renormalizes.
TEST(ResizeRef, CubicWeightsAndExcludeOutside) {
  const Tensor x = tensor({1, 4}, {0, 1, 0, 0});
  ResizeParams p = resize(ResizeMode::kCubic, kAsymmetric, {1, 2}, Shape::of({1, 8}));
  p.cubicCoeffA = -0.75f;
  const Tensor y = runResize(p, x);
  const std::vector<float> want = {0, 0.59375f, 1, 0.59375f, 0, -0.09375f, 0, 0};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y.data[i], want[i], 1e-6) << i;
  p.excludeOutside = 1;
  const Tensor z = runResize(p, x);
  EXPECT_NEAR(z.data[1], 0.59375 / 1.09375, 1e-6);
  EXPECT_NEAR(z.data[3], 0.59375, 1e-6);  // all four taps inside
  // A constant stays constant whatever a is (the weights sum to 1).
  ResizeParams q = resize(ResizeMode::kCubic, kHalfPixel, {1, 1, 1.5f, 2.5f}, Shape::of({1, 1, 3, 5}));
  q.cubicCoeffA = -0.5f;
  const Tensor c = runResize(q, tensor({1, 1, 2, 2}, {3, 3, 3, 3}));
  for (float v : c.data) EXPECT_NEAR(v, 3.0f, 1e-6);
}

TEST(ResizeRef, CubicInferErrors) {
  ResizeParams p = resize(ResizeMode::kCubic, kHalfPixel, {1, 2}, Shape::of({1, 4}));
  p.cubicCoeffA = std::numeric_limits<float>::infinity();
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 2})}), "Resize: cubic coefficient inf is not finite");
  p.cubicCoeffA = -0.75f;
  p.excludeOutside = 2;
  EXPECT_EQ(inferError(OpCode::kResize, &p, {f32({1, 2})}), "Resize: unknown mode 2 or exclude flag 2");
}

}  // namespace
}  // namespace edgert::kernels
