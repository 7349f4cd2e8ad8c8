#include "motion.hpp"

#include <cstdlib>
#include <cstring>

namespace edgert::runtime {

namespace {
std::uint8_t lumaAt(const ImageView& image, int x, int y) {
  const std::uint8_t* row = image.planes[0] + static_cast<std::size_t>(y) * image.strides[0];
  const auto ux = static_cast<std::size_t>(x);
  switch (image.format) {
    case PixelFormat::kYuyv: return row[2 * ux];
    case PixelFormat::kNv12:
    case PixelFormat::kGrey: return row[ux];
    case PixelFormat::kRgb24: {
      const std::uint8_t* p = row + 3 * ux;
      return static_cast<std::uint8_t>((77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8);
    }
    case PixelFormat::kMjpeg: break;
  }
  return 0;
}
}  // namespace

double MotionMeter::update(const ImageView& image) {
  if (image.width <= 0 || image.height <= 0 || image.planes[0] == nullptr) return 0;
  for (int ty = 0; ty < kHeight; ++ty) {
    const int y = (2 * ty + 1) * image.height / (2 * kHeight);
    for (int tx = 0; tx < kWidth; ++tx) {
      const int x = (2 * tx + 1) * image.width / (2 * kWidth);
      current_[static_cast<std::size_t>(ty * kWidth + tx)] = lumaAt(image, x, y);
    }
  }
  double change = 0;
  if (have_) {
    long sum = 0;
    for (std::size_t i = 0; i < current_.size(); ++i) sum += std::abs(current_[i] - previous_[i]);
    change = static_cast<double>(sum) / static_cast<double>(current_.size());
  }
  previous_ = current_;
  have_ = true;
  return change;
}

}  // namespace edgert::runtime
