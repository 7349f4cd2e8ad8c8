// Cropping a region of a camera frame into a model input: the quadrilateral with corners
// q[0..3] (source pixel coordinates; the patch's top-left, top-right, bottom-right and
// bottom-left) resampled by a perspective warp to a width x height patch, bilinear, with the
// source's edge pixels repeated outside it; then normalised like pre-processing
// (out = (pixel - mean) * scale, channels in RGB or BGR order) into a float tensor of
// tensorWidth x tensorHeight whose left part it fills. The rest of the tensor is set to
// `pad` (normalised units). Text recognisers take their lines this way: a rotated or
// slanted line comes out straight, at the recogniser's height, aspect ratio kept.
//
// Coordinates are continuous: a pixel covers [x, x + 1), its centre is at x + 0.5. The
// patch's pixel (i, j) samples the source where the warp takes its centre.
#pragma once

#include <array>
#include <span>

#include "edgert/base/image.hpp"
#include "edgert/kernels/image.hpp"

namespace edgert::kernels {

struct WarpTarget {
  int tensorWidth = 0;
  int tensorHeight = 0;
  TensorLayout layout = TensorLayout::kNchw;
  ChannelOrder order = ChannelOrder::kRgb;
  std::array<float, 3> mean{0.0F, 0.0F, 0.0F};
  std::array<float, 3> scale{1.0F, 1.0F, 1.0F};
  float pad = 0.0F;
};

// The projective map of the unit square onto a quadrilateral: (s, t) in [0, 1]^2 with
// (0,0) -> q0, (1,0) -> q1, (1,1) -> q2, (0,1) -> q3.
struct SquareToQuad {
  double a = 1, b = 0, c = 0;  // x = (a s + b t + c) / (g s + h t + 1)
  double d = 0, e = 1, f = 0;  // y = (d s + e t + f) / (g s + h t + 1)
  double g = 0, h = 0;
  static SquareToQuad of(const std::array<std::array<float, 2>, 4>& q);
  std::array<double, 2> operator()(double s, double t) const;
};

// Writes the patch (width x height, 1..tensorWidth x 1..tensorHeight) into `out`
// (3 x tensorHeight x tensorWidth floats). Allocates nothing. The image must be an
// uncompressed format (not MJPEG).
void warpQuad(const ImageView& image, const std::array<std::array<float, 2>, 4>& quad, int width,
              int height, const WarpTarget& target, std::span<float> out);

}  // namespace edgert::kernels
