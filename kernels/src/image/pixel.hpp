// One source pixel as RGB floats in 0..255, the same way for both pre-processing variants.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "edgert/base/image.hpp"

namespace edgert::kernels::image_detail {

struct RgbF {
  float r, g, b;
};

// BT.601, limited range (Y 16..235, Cb/Cr 16..240) to 8-bit RGB with the usual integer
// coefficients (the real ones scaled by 256, rounded): integer arithmetic and integer clamps
// compile without branches, which matters on noisy chroma.
inline RgbF yuvToRgb(int y, int u, int v) {
  const int c = 298 * (y - 16) + 128;
  const int d = u - 128;
  const int e = v - 128;
  const auto byte = [](int x) { return static_cast<float>(std::min(std::max(x >> 8, 0), 255)); };
  return {byte(c + 409 * e), byte(c - 100 * d - 208 * e), byte(c + 516 * d)};
}

inline RgbF pixelAt(const ImageView& image, int x, int y) {
  const auto ux = static_cast<std::size_t>(x);
  const std::uint8_t* row = image.planes[0] + static_cast<std::size_t>(y) * image.strides[0];
  switch (image.format) {
    case PixelFormat::kRgb24: {
      const std::uint8_t* p = row + 3 * ux;
      return {static_cast<float>(p[0]), static_cast<float>(p[1]), static_cast<float>(p[2])};
    }
    case PixelFormat::kGrey: {
      const auto g = static_cast<float>(row[ux]);
      return {g, g, g};
    }
    case PixelFormat::kYuyv: {
      const std::uint8_t* pair = row + 4 * (ux / 2);
      return yuvToRgb(row[2 * ux], pair[1], pair[3]);
    }
    case PixelFormat::kNv12: {
      const std::uint8_t* uv =
          image.planes[1] + static_cast<std::size_t>(y / 2) * image.strides[1] + 2 * (ux / 2);
      return yuvToRgb(row[ux], uv[0], uv[1]);
    }
    case PixelFormat::kMjpeg: break;
  }
  return {0, 0, 0};
}

}  // namespace edgert::kernels::image_detail
