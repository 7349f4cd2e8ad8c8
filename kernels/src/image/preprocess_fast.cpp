// Preprocessor::run: separable bilinear resampling with the tables made in create(). Each
// source row the output needs is converted and resampled horizontally once (two rows are
// kept, so an upscale reuses them across output rows); the vertical blend and the
// normalisation then run over contiguous floats, which the compiler vectorizes.
#include <algorithm>

#include "edgert/kernels/image.hpp"
#include "pixel.hpp"

namespace edgert::kernels {

using image_detail::pixelAt;
using image_detail::RgbF;

void Preprocessor::resampleRow(const ImageView& image, int sourceRow, float* rgbOut) const {
  for (const Tap& t : xTaps_) {
    const RgbF a = pixelAt(image, t.i0, sourceRow);
    const RgbF b = pixelAt(image, t.i1, sourceRow);
    rgbOut[0] = a.r + (b.r - a.r) * t.w;
    rgbOut[1] = a.g + (b.g - a.g) * t.w;
    rgbOut[2] = a.b + (b.b - a.b) * t.w;
    rgbOut += 3;
  }
}

void Preprocessor::run(const ImageView& image, std::span<float> out) {
  const auto width = static_cast<std::size_t>(spec_.width);
  const auto plane = width * static_cast<std::size_t>(spec_.height);
  const std::size_t covered = xTaps_.size();
  const std::array<std::size_t, 3> channelOf = spec_.order == ChannelOrder::kRgb
                                                   ? std::array<std::size_t, 3>{0, 1, 2}
                                                   : std::array<std::size_t, 3>{2, 1, 0};
  std::array<float, 3> border{};
  for (std::size_t c = 0; c < 3; ++c) border[c] = (spec_.fill - spec_.mean[c]) * spec_.scale[c];

  cachedRow_ = {-1, -1};  // the image changed since the last call
  for (int y = 0; y < spec_.height; ++y) {
    const std::size_t rowStart = static_cast<std::size_t>(y) * width;
    // Where channel c of pixel i of this row goes: planes, or interleaved by 3.
    const bool planar = spec_.layout == TensorLayout::kNchw;
    const std::size_t pixelStep = planar ? 1 : 3;
    const auto rowOut = [&](std::size_t c) {
      return planar ? out.data() + c * plane + rowStart : out.data() + rowStart * 3 + c;
    };
    if (y < y0_ || y >= y1_) {
      for (std::size_t c = 0; c < 3; ++c) {
        float* dst = rowOut(c);
        for (std::size_t i = 0; i < width; ++i) dst[i * pixelStep] = border[c];
      }
      continue;
    }
    const Tap& ty = yTaps_[static_cast<std::size_t>(y - y0_)];
    float* top = nullptr;
    float* bottom = nullptr;
    for (int k = 0; k < 2; ++k) {
      const int want = k == 0 ? ty.i0 : ty.i1;
      std::size_t slot = cachedRow_[0] == want ? 0 : cachedRow_[1] == want ? 1 : 2;
      if (slot == 2) {
        // Overwrite the slot the other tap does not use.
        const int other = k == 0 ? ty.i1 : ty.i0;
        slot = cachedRow_[0] == other ? 1 : 0;
        resampleRow(image, want, rows_.data() + slot * 3 * covered);
        cachedRow_[slot] = want;
      }
      (k == 0 ? top : bottom) = rows_.data() + slot * 3 * covered;
    }
    const float wy = ty.w;
    const auto left = static_cast<std::size_t>(x0_);
    for (std::size_t c = 0; c < 3; ++c) {
      const std::size_t from = channelOf[c];
      const float mean = spec_.mean[c];
      const float scale = spec_.scale[c];
      float* dst = rowOut(c);
      for (std::size_t i = 0; i < left; ++i) dst[i * pixelStep] = border[c];
      for (std::size_t i = left + covered; i < width; ++i) dst[i * pixelStep] = border[c];
      dst += left * pixelStep;
      if (planar) {
        for (std::size_t i = 0; i < covered; ++i) {
          const float a = top[3 * i + from];
          const float b = bottom[3 * i + from];
          dst[i] = (a + (b - a) * wy - mean) * scale;
        }
      } else {
        for (std::size_t i = 0; i < covered; ++i) {
          const float a = top[3 * i + from];
          const float b = bottom[3 * i + from];
          dst[3 * i] = (a + (b - a) * wy - mean) * scale;
        }
      }
    }
  }
}

}  // namespace edgert::kernels
