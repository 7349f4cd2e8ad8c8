// Preprocessor::create: the geometry of the resize (which part of the model input the image
// covers, and where each covered output pixel samples the source) and the tables of run().
#include <algorithm>
#include <cmath>

#include "edgert/kernels/image.hpp"

namespace edgert::kernels {

namespace {
constexpr int kMaxSide = 16384;

bool validSpec(const PreprocessSpec& spec) {
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(spec.mean[static_cast<std::size_t>(c)]) ||
        !std::isfinite(spec.scale[static_cast<std::size_t>(c)])) {
      return false;
    }
  }
  return std::isfinite(spec.fill);
}
}  // namespace

Result<Preprocessor> Preprocessor::create(PixelFormat source, int sourceWidth, int sourceHeight,
                                          const PreprocessSpec& spec) {
  if (source == PixelFormat::kMjpeg || !validImageSize(source, sourceWidth, sourceHeight) ||
      sourceWidth > kMaxSide || sourceHeight > kMaxSide) {
    return makeError(Errc::kUnsupported, "pre-processing: cannot read {} frames of {}x{}",
                     pixelFormatName(source), sourceWidth, sourceHeight);
  }
  if (spec.width <= 0 || spec.height <= 0 || spec.width > kMaxSide || spec.height > kMaxSide) {
    return makeError(Errc::kInvalidArgument, "pre-processing: model input {}x{} outside 1..{}",
                     spec.width, spec.height, kMaxSide);
  }
  if (!validSpec(spec)) {
    return makeError(Errc::kInvalidArgument, "pre-processing: mean, scale and fill must be finite");
  }
  Preprocessor p;
  p.source_ = source;
  p.sourceWidth_ = sourceWidth;
  p.sourceHeight_ = sourceHeight;
  p.spec_ = spec;

  const double sw = sourceWidth, sh = sourceHeight, dw = spec.width, dh = spec.height;
  p.x0_ = 0, p.x1_ = spec.width, p.y0_ = 0, p.y1_ = spec.height;
  double cropX = 0, cropY = 0;  // source pixels cut off on the left / top
  switch (spec.resize) {
    case FitMode::kStretch:
      p.stepX_ = sw / dw;
      p.stepY_ = sh / dh;
      break;
    case FitMode::kLetterbox: {
      const double s = std::min(dw / sw, dh / sh);
      const int cw = std::clamp(static_cast<int>(std::lround(sw * s)), 1, spec.width);
      const int ch = std::clamp(static_cast<int>(std::lround(sh * s)), 1, spec.height);
      p.x0_ = (spec.width - cw) / 2;
      p.x1_ = p.x0_ + cw;
      p.y0_ = (spec.height - ch) / 2;
      p.y1_ = p.y0_ + ch;
      p.stepX_ = sw / cw;
      p.stepY_ = sh / ch;
      break;
    }
    case FitMode::kCrop: {
      const double s = std::max(dw / sw, dh / sh);
      p.stepX_ = p.stepY_ = 1.0 / s;
      cropX = (sw - dw / s) / 2;
      cropY = (sh - dh / s) / 2;
      break;
    }
  }
  // Output column x (inside the covered part) samples source (x - x0 + 0.5) * step - 0.5
  // + crop: start folds the offsets in.
  p.startX_ = cropX - p.x0_ * p.stepX_;
  p.startY_ = cropY - p.y0_ * p.stepY_;
  p.mapping_ = ImageMapping{static_cast<float>(p.stepX_), static_cast<float>(p.startX_),
                            static_cast<float>(p.stepY_), static_cast<float>(p.startY_)};

  const auto taps = [](int from, int to, double step, double start, int limit) {
    std::vector<Tap> t;
    t.reserve(static_cast<std::size_t>(to - from));
    for (int o = from; o < to; ++o) {
      const double s = std::clamp((o + 0.5) * step + start - 0.5, 0.0, limit - 1.0);
      const auto i0 = static_cast<std::int32_t>(std::floor(s));
      t.push_back(Tap{i0, std::min(i0 + 1, limit - 1), static_cast<float>(s - i0)});
    }
    return t;
  };
  p.xTaps_ = taps(p.x0_, p.x1_, p.stepX_, p.startX_, sourceWidth);
  p.yTaps_ = taps(p.y0_, p.y1_, p.stepY_, p.startY_, sourceHeight);
  p.rows_.assign(2 * 3 * static_cast<std::size_t>(p.x1_ - p.x0_), 0.0F);
  return p;
}

std::size_t Preprocessor::outputFloats() const {
  return 3 * static_cast<std::size_t>(spec_.width) * static_cast<std::size_t>(spec_.height);
}

std::size_t Preprocessor::memoryBytes() const {
  return xTaps_.capacity() * sizeof(Tap) + yTaps_.capacity() * sizeof(Tap) +
         rows_.capacity() * sizeof(float);
}

}  // namespace edgert::kernels
