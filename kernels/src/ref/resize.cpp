// Resize, reference kernel: nearest, N-linear and N-cubic interpolation over any axes of a rank 1..8
// tensor, with ONNX's coordinate transforms (opset 11-13+), per axis, where x is the output
// index, in and out the axis lengths and scale the stored out / in ratio:
//   half_pixel:                 (x + 0.5) / scale - 0.5
//   pytorch_half_pixel:         out > 1 ? (x + 0.5) / scale - 0.5 : 0
//   align_corners:              out > 1 ? x * (in - 1) / (in * scale - 1) : 0
//   asymmetric:                 x / scale
//   tf_half_pixel_for_nearest:  (x + 0.5) / scale
// (align_corners divides by in * scale - 1, the unrounded output length, as ONNX's reference
// implementation does; with scale = out / in that is out - 1.)
//
// Nearest rounds the source coordinate as `rounding` says (round_prefer_floor/ceil break .5
// ties down/up) and clamps it into [0, in - 1]. Linear clamps the coordinate into [0, in - 1]
// and blends the two neighbours floor(c) and floor(c) + 1 (the edge element repeated past the
// end), over every axis that changes; an axis with out == in and scale 1 is copied as is.
// Cubic blends the four neighbours floor(c) - 1 .. floor(c) + 2 of the unclamped coordinate
// with Keys' kernel of parameter a (weights of distance d: (a+2)|d|^3 - (a+3)|d|^2 + 1 within
// 1, a|d|^3 - 5a|d|^2 + 8a|d| - 4a within 2), edge elements repeated outside X; with
// excludeOutside the taps outside X weigh 0 and the others are scaled to sum to 1.
//
// The stored scale is a float. When in * scale is within float rounding of `out` (a scale the
// compiler derived from ONNX `sizes`, or an exact one), the exact ratio out / in is used
// instead, so coordinates that should be whole or half numbers stay so.
#include "ref_ops.hpp"
#include "resize_coordinates.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Resize";

// Keys' cubic convolution kernel at distance d.
double cubicWeight(double d, double a) {
  d = std::fabs(d);
  if (d <= 1.0) return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  if (d < 2.0) return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
  return 0.0;
}

}  // namespace

Result<void> inferResize(const void* params, std::span<const TensorType> inputs,
                         std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  const auto& p = *static_cast<const ResizeParams*>(params);
  const auto mode = static_cast<unsigned>(p.mode);
  const auto transform = static_cast<unsigned>(p.transform);
  const auto rounding = static_cast<unsigned>(p.rounding);
  if (mode > static_cast<unsigned>(ResizeMode::kCubic) || p.excludeOutside > 1) {
    return makeError(Errc::kCorrupt, "{}: unknown mode {} or exclude flag {}", kOp, mode, p.excludeOutside);
  }
  if (!std::isfinite(p.cubicCoeffA)) {
    return makeError(Errc::kCorrupt, "{}: cubic coefficient {} is not finite", kOp, p.cubicCoeffA);
  }
  if (transform > static_cast<unsigned>(CoordinateTransform::kTfHalfPixelForNearest)) {
    return makeError(Errc::kCorrupt, "{}: unknown coordinate transform {}", kOp, transform);
  }
  if (rounding > static_cast<unsigned>(NearestRounding::kCeil)) {
    return makeError(Errc::kCorrupt, "{}: unknown nearest rounding {}", kOp, rounding);
  }
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input 0 is {}, expected float32", kOp,
                     dtypeName(x.dtype));
  }
  if (x.shape.rank < 1) return makeError(Errc::kInvalidArgument, "{}: X is a scalar", kOp);
  const Shape& y = p.outputShape;
  EDGERT_TRY(validateShape(y, kOp));
  if (y.rank != x.shape.rank) {
    return makeError(Errc::kInvalidArgument, "{}: output shape {} does not have the rank of X {}",
                     kOp, formatShape(y), formatShape(x.shape));
  }
  for (int i = 0; i < y.rank; ++i) {
    const float scale = p.scale[i];
    const std::int64_t in = x.shape.dims[i];
    const std::int64_t out = y.dims[i];
    if (!std::isfinite(scale) || scale <= 0.0f) {
      return makeError(Errc::kCorrupt, "{}: scale {} on axis {} is not a finite value > 0", kOp,
                       scale, i);
    }
    if (in == 0 && out != 0) {
      return makeError(Errc::kInvalidArgument, "{}: cannot resize empty axis {} of X {} to {}", kOp,
                       i, formatShape(x.shape), out);
    }
    // out is floor(in * scale) for ONNX scales, round(...) for keep_aspect_ratio sizes, and
    // scale is out / in for plain sizes: never more than 1 apart.
    const double product = static_cast<double>(in) * static_cast<double>(scale);
    if (std::fabs(product - static_cast<double>(out)) > 1.0 + 1e-6 * static_cast<double>(out)) {
      return makeError(Errc::kInvalidArgument,
                       "{}: output size {} on axis {} does not match input size {} times scale {}",
                       kOp, out, i, in, scale);
    }
  }
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runResize(const KernelArgs& args) {
  const auto& p = *static_cast<const ResizeParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();
  const int rank = xs.rank;

  AxisMap axes[kMaxRank];
  std::int64_t xStride[kMaxRank] = {};
  std::int64_t step = 1;
  for (int i = rank - 1; i >= 0; --i) {
    axes[i] = AxisMap{xs.dims[i], ys.dims[i], effectiveScale(xs.dims[i], ys.dims[i], p.scale[i])};
    xStride[i] = step;
    step *= xs.dims[i];
  }

  const std::int64_t count = ys.numel();
  for (std::int64_t flat = 0; flat < count; ++flat) {
    // Y's index per axis, last axis fastest.
    std::int64_t index[kMaxRank] = {};
    std::int64_t rest = flat;
    for (int i = rank - 1; i >= 0; --i) {
      index[i] = rest % ys.dims[i];
      rest /= ys.dims[i];
    }

    if (p.mode == ResizeMode::kNearest) {
      std::int64_t offset = 0;
      for (int i = 0; i < rank; ++i) {
        const double c = sourceCoordinate(p.transform, index[i], axes[i]);
        offset += nearestIndex(c, p.rounding, axes[i].in) * xStride[i];
      }
      y[flat] = x[offset];
      continue;
    }

    if (p.mode == ResizeMode::kCubic) {
      // Per interpolated axis four taps and their weights; the sum runs over the 4^k
      // combinations.
      std::int64_t base = 0;
      int cubicAxes[kMaxRank] = {};
      std::int64_t tap[kMaxRank][4] = {};
      double tapWeight[kMaxRank][4] = {};
      int cubicCount = 0;
      for (int i = 0; i < rank; ++i) {
        const AxisMap& a = axes[i];
        if (a.in == a.out && a.scale == 1.0) {
          base += index[i] * xStride[i];
          continue;
        }
        const double c = sourceCoordinate(p.transform, index[i], a);
        const double below = std::floor(c);
        const int j = cubicCount++;
        cubicAxes[j] = i;
        double total = 0.0;
        for (int k = 0; k < 4; ++k) {
          const double at = below - 1.0 + k;
          double w = cubicWeight(c - at, p.cubicCoeffA);
          const bool outside = at < 0.0 || at > static_cast<double>(a.in - 1);
          if (outside && p.excludeOutside != 0) w = 0.0;
          tapWeight[j][k] = w;
          total += w;
          tap[j][k] = static_cast<std::int64_t>(std::clamp(at, 0.0, static_cast<double>(a.in - 1)));
        }
        if (p.excludeOutside != 0 && total != 0.0) {
          for (double& w : tapWeight[j]) w /= total;
        }
      }
      double sum = 0.0;
      for (std::uint32_t combination = 0; combination < (1u << (2 * cubicCount)); ++combination) {
        double w = 1.0;
        std::int64_t offset = base;
        for (int j = 0; j < cubicCount; ++j) {
          const int k = static_cast<int>((combination >> (2 * j)) & 3u);
          w *= tapWeight[j][k];
          offset += tap[j][k] * xStride[cubicAxes[j]];
        }
        sum += w * x[offset];
      }
      y[flat] = static_cast<float>(sum);
      continue;
    }

    // Linear: a fixed offset from the copied axes, and per interpolated axis the two
    // neighbours and the weight of the upper one.
    std::int64_t base = 0;
    int lerpAxes[kMaxRank] = {};
    std::int64_t lower[kMaxRank] = {};
    std::int64_t upper[kMaxRank] = {};
    double weight[kMaxRank] = {};
    int lerpCount = 0;
    for (int i = 0; i < rank; ++i) {
      const AxisMap& a = axes[i];
      if (a.in == a.out && a.scale == 1.0) {
        base += index[i] * xStride[i];
        continue;
      }
      const double c = clampCoordinate(sourceCoordinate(p.transform, index[i], a), a.in);
      const double below = std::floor(c);
      const int j = lerpCount++;
      lerpAxes[j] = i;
      lower[j] = static_cast<std::int64_t>(below);
      upper[j] = std::min(lower[j] + 1, a.in - 1);
      weight[j] = c - below;
    }
    // Sum over the 2^lerpCount corners of the cell around the source point.
    double sum = 0.0;
    for (unsigned corner = 0; corner < (1u << lerpCount); ++corner) {
      double w = 1.0;
      std::int64_t offset = base;
      for (int j = 0; j < lerpCount; ++j) {
        const bool up = ((corner >> j) & 1u) != 0;
        w *= up ? weight[j] : 1.0 - weight[j];
        offset += (up ? upper[j] : lower[j]) * xStride[lerpAxes[j]];
      }
      sum += w * x[offset];
    }
    y[flat] = static_cast<float>(sum);
  }
}

}  // namespace edgert::kernels::ref
