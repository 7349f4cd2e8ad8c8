#include "edgert/base/image.hpp"

#include "edgert/base/pixel_format_names.hpp"

namespace edgert {


std::string_view pixelFormatName(PixelFormat format) {
  const std::string_view name = enumNameOf(kPixelFormatNames, format);
  return name.empty() ? "invalid" : name;
}

std::optional<PixelFormat> parsePixelFormat(std::string_view name) {
  for (const EnumName<PixelFormat>& f : kPixelFormatNames) {
    if (f.name == name) return f.value;
  }
  return std::nullopt;
}

int planeCount(PixelFormat format) {
  switch (format) {
    case PixelFormat::kNv12: return 2;
    case PixelFormat::kMjpeg: return 0;
    default: return 1;
  }
}

std::size_t packedStride(PixelFormat format, int width, int plane) {
  const auto w = static_cast<std::size_t>(width);
  switch (format) {
    case PixelFormat::kYuyv: return plane == 0 ? 2 * w : 0;
    case PixelFormat::kNv12: return plane < 2 ? w : 0;  // chroma: w/2 U V pairs
    case PixelFormat::kGrey: return plane == 0 ? w : 0;
    case PixelFormat::kRgb24: return plane == 0 ? 3 * w : 0;
    case PixelFormat::kMjpeg: return 0;
  }
  return 0;
}

int planeRows(PixelFormat format, int height, int plane) {
  if (plane >= planeCount(format)) return 0;
  return format == PixelFormat::kNv12 && plane == 1 ? height / 2 : height;
}

std::size_t packedImageBytes(PixelFormat format, int width, int height) {
  std::size_t bytes = 0;
  for (int p = 0; p < planeCount(format); ++p) {
    bytes += packedStride(format, width, p) * static_cast<std::size_t>(planeRows(format, height, p));
  }
  return bytes;
}

ImageView packedImageView(PixelFormat format, int width, int height, const std::uint8_t* data) {
  ImageView view{format, width, height, {data, nullptr}, {packedStride(format, width, 0), 0}};
  if (planeCount(format) == 2) {
    view.planes[1] = data + view.strides[0] * static_cast<std::size_t>(height);
    view.strides[1] = packedStride(format, width, 1);
  }
  return view;
}

bool validImageSize(PixelFormat format, int width, int height) {
  if (width <= 0 || height <= 0) return false;
  switch (format) {
    case PixelFormat::kYuyv: return width % 2 == 0;
    case PixelFormat::kNv12: return width % 2 == 0 && height % 2 == 0;
    default: return true;
  }
}

}  // namespace edgert
