#include "edgert/kernels/warp.hpp"

#include <algorithm>
#include <cmath>

#include "pixel.hpp"

namespace edgert::kernels {

SquareToQuad SquareToQuad::of(const std::array<std::array<float, 2>, 4>& q) {
  // Heckbert's square-to-quadrilateral map: affine when the quadrilateral is a
  // parallelogram (the sums of opposite corners agree), projective otherwise.
  const double x0 = q[0][0], y0 = q[0][1], x1 = q[1][0], y1 = q[1][1];
  const double x2 = q[2][0], y2 = q[2][1], x3 = q[3][0], y3 = q[3][1];
  const double sx = x0 - x1 + x2 - x3;
  const double sy = y0 - y1 + y2 - y3;
  SquareToQuad m;
  const double dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
  const double den = dx1 * dy2 - dx2 * dy1;
  if ((sx != 0 || sy != 0) && std::abs(den) > 1e-12) {
    m.g = (sx * dy2 - dx2 * sy) / den;
    m.h = (dx1 * sy - sx * dy1) / den;
  }
  m.a = x1 - x0 + m.g * x1;
  m.b = x3 - x0 + m.h * x3;
  m.c = x0;
  m.d = y1 - y0 + m.g * y1;
  m.e = y3 - y0 + m.h * y3;
  m.f = y0;
  return m;
}

std::array<double, 2> SquareToQuad::operator()(double s, double t) const {
  const double w = g * s + h * t + 1.0;
  return {(a * s + b * t + c) / w, (d * s + e * t + f) / w};
}

void warpQuad(const ImageView& image, const std::array<std::array<float, 2>, 4>& quad, int width,
              int height, const WarpTarget& target, std::span<float> out) {
  const int tw = target.tensorWidth;
  const int th = target.tensorHeight;
  const std::size_t plane = static_cast<std::size_t>(tw) * static_cast<std::size_t>(th);
  if (out.size() < 3 * plane || tw < 1 || th < 1 || image.width < 1 || image.height < 1) return;
  width = std::clamp(width, 1, tw);
  height = std::clamp(height, 1, th);
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(3 * plane), target.pad);
  const SquareToQuad map = SquareToQuad::of(quad);
  // Channel c of the tensor takes the source's R, G, B (or B, G, R).
  const bool bgr = target.order == ChannelOrder::kBgr;
  const float maxX = static_cast<float>(image.width - 1);
  const float maxY = static_cast<float>(image.height - 1);
  for (int j = 0; j < height; ++j) {
    const double t = (j + 0.5) / height;
    for (int i = 0; i < width; ++i) {
      const double s = (i + 0.5) / width;
      const std::array<double, 2> p = map(s, t);
      // To pixel-centre coordinates, clamped (the edge repeats); NaN to the origin.
      float x = static_cast<float>(p[0] - 0.5);
      float y = static_cast<float>(p[1] - 0.5);
      x = std::isnan(x) ? 0.0F : std::clamp(x, 0.0F, maxX);
      y = std::isnan(y) ? 0.0F : std::clamp(y, 0.0F, maxY);
      const int ix = std::min(static_cast<int>(x), image.width - 1);
      const int iy = std::min(static_cast<int>(y), image.height - 1);
      const int ix1 = std::min(ix + 1, image.width - 1);
      const int iy1 = std::min(iy + 1, image.height - 1);
      const float fx = x - static_cast<float>(ix);
      const float fy = y - static_cast<float>(iy);
      const image_detail::RgbF p00 = image_detail::pixelAt(image, ix, iy);
      const image_detail::RgbF p01 = image_detail::pixelAt(image, ix1, iy);
      const image_detail::RgbF p10 = image_detail::pixelAt(image, ix, iy1);
      const image_detail::RgbF p11 = image_detail::pixelAt(image, ix1, iy1);
      const auto mix = [&](float a, float b, float c, float d) {
        const float top = a + (b - a) * fx;
        const float bottom = c + (d - c) * fx;
        return top + (bottom - top) * fy;
      };
      const std::array<float, 3> rgb{mix(p00.r, p01.r, p10.r, p11.r), mix(p00.g, p01.g, p10.g, p11.g),
                                     mix(p00.b, p01.b, p10.b, p11.b)};
      for (std::size_t ch = 0; ch < 3; ++ch) {
        const float v = (rgb[bgr ? 2 - ch : ch] - target.mean[ch]) * target.scale[ch];
        const std::size_t at = target.layout == TensorLayout::kNchw
                                   ? ch * plane + static_cast<std::size_t>(j) * static_cast<std::size_t>(tw) +
                                         static_cast<std::size_t>(i)
                                   : (static_cast<std::size_t>(j) * static_cast<std::size_t>(tw) +
                                      static_cast<std::size_t>(i)) * 3 + ch;
        out[at] = v;
      }
    }
  }
}

}  // namespace edgert::kernels
