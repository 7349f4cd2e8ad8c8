// Preprocessor::runReference: every output pixel from its four source pixels, recomputing
// the sampling position each time. Slow and plain: the yardstick for run().
#include <algorithm>
#include <cmath>

#include "edgert/kernels/image.hpp"
#include "pixel.hpp"

namespace edgert::kernels {

using image_detail::pixelAt;
using image_detail::RgbF;

void Preprocessor::runReference(const ImageView& image, std::span<float> out) const {
  const auto plane = static_cast<std::size_t>(spec_.width) * static_cast<std::size_t>(spec_.height);
  const std::array<int, 3> channelOf = spec_.order == ChannelOrder::kRgb
                                           ? std::array<int, 3>{0, 1, 2}
                                           : std::array<int, 3>{2, 1, 0};
  for (int y = 0; y < spec_.height; ++y) {
    for (int x = 0; x < spec_.width; ++x) {
      std::array<float, 3> rgb{spec_.fill, spec_.fill, spec_.fill};
      if (x >= x0_ && x < x1_ && y >= y0_ && y < y1_) {
        const double sx = std::clamp((x + 0.5) * stepX_ + startX_ - 0.5, 0.0, sourceWidth_ - 1.0);
        const double sy = std::clamp((y + 0.5) * stepY_ + startY_ - 0.5, 0.0, sourceHeight_ - 1.0);
        const int ix = static_cast<int>(std::floor(sx));
        const int iy = static_cast<int>(std::floor(sy));
        const int ix1 = std::min(ix + 1, sourceWidth_ - 1);
        const int iy1 = std::min(iy + 1, sourceHeight_ - 1);
        const auto fx = static_cast<float>(sx - ix);
        const auto fy = static_cast<float>(sy - iy);
        const RgbF p00 = pixelAt(image, ix, iy), p01 = pixelAt(image, ix1, iy);
        const RgbF p10 = pixelAt(image, ix, iy1), p11 = pixelAt(image, ix1, iy1);
        const auto lerp2 = [&](float a, float b, float c, float d) {
          const float top = a + (b - a) * fx;
          const float bottom = c + (d - c) * fx;
          return top + (bottom - top) * fy;
        };
        rgb = {lerp2(p00.r, p01.r, p10.r, p11.r), lerp2(p00.g, p01.g, p10.g, p11.g),
               lerp2(p00.b, p01.b, p10.b, p11.b)};
      }
      for (int c = 0; c < 3; ++c) {
        const auto oc = static_cast<std::size_t>(c);
        const float v = rgb[static_cast<std::size_t>(channelOf[oc])];
        const std::size_t pixel =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(spec_.width) +
            static_cast<std::size_t>(x);
        const std::size_t at =
            spec_.layout == TensorLayout::kNchw ? oc * plane + pixel : pixel * 3 + oc;
        out[at] = (v - spec_.mean[oc]) * spec_.scale[oc];
      }
    }
  }
}

}  // namespace edgert::kernels
