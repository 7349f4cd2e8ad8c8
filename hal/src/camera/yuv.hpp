// RGB to Y'CbCr with BT.601 coefficients in limited range (Y 16..235, Cb/Cr 16..240): what
// UVC webcams and vivid's default YUV formats carry. The conversion back lives with the
// pre-processing kernels (kernels/include/edgert/kernels/image.hpp).
#pragma once

#include <algorithm>
#include <cstdint>

namespace edgert::hal {

struct Rgb {
  std::uint8_t r, g, b;
};
struct Yuv {
  std::uint8_t y, u, v;
};

constexpr std::uint8_t clampByte(double v) {
  return static_cast<std::uint8_t>(std::clamp(v + 0.5, 0.0, 255.0));
}

constexpr Yuv rgbToYuv601Limited(Rgb c) {
  const double r = c.r, g = c.g, b = c.b;
  return {clampByte(16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0),
          clampByte(128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0),
          clampByte(128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0)};
}

}  // namespace edgert::hal
