// convertToRgb24: pixelAt() (pixel.hpp, shared with both pre-processing variants) for every
// pixel, one row at a time. The switch on the format is hoisted out of the row loop by
// instantiating the row for each format, so the inner loop is the format's own arithmetic.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "edgert/kernels/image_convert.hpp"
#include "pixel.hpp"

namespace edgert::kernels {

namespace {

template <PixelFormat kFormat>
void convertRows(const ImageView& image, std::uint8_t* out) {
  ImageView view = image;
  view.format = kFormat;  // the same value: lets the compiler drop pixelAt's switch
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const image_detail::RgbF p = image_detail::pixelAt(view, x, y);
      out[0] = static_cast<std::uint8_t>(p.r);
      out[1] = static_cast<std::uint8_t>(p.g);
      out[2] = static_cast<std::uint8_t>(p.b);
      out += 3;
    }
  }
}

}  // namespace

std::size_t rgb24Bytes(const ImageView& image) {
  if (image.width <= 0 || image.height <= 0) return 0;
  return static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3;
}

void convertToRgb24(const ImageView& image, std::span<std::uint8_t> out) {
  const std::size_t bytes = rgb24Bytes(image);
  if (bytes == 0 || out.size() < bytes) return;
  switch (image.format) {
    case PixelFormat::kRgb24: {
      // pixelAt copies the bytes as they are: whole rows at once.
      const std::size_t row = static_cast<std::size_t>(image.width) * 3;
      for (int y = 0; y < image.height; ++y) {
        std::memcpy(out.data() + static_cast<std::size_t>(y) * row,
                    image.planes[0] + static_cast<std::size_t>(y) * image.strides[0], row);
      }
      return;
    }
    case PixelFormat::kGrey: convertRows<PixelFormat::kGrey>(image, out.data()); return;
    case PixelFormat::kYuyv: convertRows<PixelFormat::kYuyv>(image, out.data()); return;
    case PixelFormat::kNv12: convertRows<PixelFormat::kNv12>(image, out.data()); return;
    case PixelFormat::kMjpeg: return;
  }
}

}  // namespace edgert::kernels
