// Resize's coordinate arithmetic (the transforms and nearest rounding described in
// resize.cpp), shared by the reference kernel and the fast nearest variant
// (portable/resize.cpp) so both map output positions to the same source elements.
#pragma once

#include "edgert/kernels/ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {

// The scale the coordinate transforms use (see the file comment).
inline double effectiveScale(std::int64_t in, std::int64_t out, float stored) {
  const double product = static_cast<double>(in) * static_cast<double>(stored);
  const double outD = static_cast<double>(out);
  if (in > 0 && std::fabs(product - outD) <= 1e-6 * std::max(1.0, outD)) {
    return outD / static_cast<double>(in);
  }
  return static_cast<double>(stored);
}

struct AxisMap {
  std::int64_t in = 1;
  std::int64_t out = 1;
  double scale = 1.0;
};

inline double sourceCoordinate(CoordinateTransform transform, std::int64_t x, const AxisMap& a) {
  const double xr = static_cast<double>(x);
  switch (transform) {
    case CoordinateTransform::kHalfPixel: return (xr + 0.5) / a.scale - 0.5;
    case CoordinateTransform::kPytorchHalfPixel:
      return a.out > 1 ? (xr + 0.5) / a.scale - 0.5 : 0.0;
    case CoordinateTransform::kAlignCorners: {
      const double lengthResized = static_cast<double>(a.in) * a.scale;
      if (a.out == 1 || lengthResized <= 1.0) return 0.0;
      return xr * static_cast<double>(a.in - 1) / (lengthResized - 1.0);
    }
    case CoordinateTransform::kAsymmetric: return xr / a.scale;
    case CoordinateTransform::kTfHalfPixelForNearest: return (xr + 0.5) / a.scale;
  }
  return 0.0;  // unreachable: inferResize rejects other values
}

// Clamps c into [0, in - 1] (in >= 1) before any conversion, so no value is out of range.
inline double clampCoordinate(double c, std::int64_t in) {
  return std::clamp(c, 0.0, static_cast<double>(in - 1));
}

inline std::int64_t nearestIndex(double c, NearestRounding rounding, std::int64_t in) {
  const double below = std::floor(c);
  const bool tie = c - below == 0.5;
  double index = below;
  switch (rounding) {
    case NearestRounding::kRoundPreferFloor: index = tie ? below : std::round(c); break;
    case NearestRounding::kRoundPreferCeil: index = tie ? below + 1.0 : std::round(c); break;
    case NearestRounding::kFloor: index = below; break;
    case NearestRounding::kCeil: index = std::ceil(c); break;
  }
  return static_cast<std::int64_t>(clampCoordinate(index, in));
}

}  // namespace edgert::kernels::ref
