#include "edgert/base/image.hpp"

namespace edgert {

namespace {
struct FormatName {
  PixelFormat format;
  std::string_view name;
};
constexpr std::array kFormatNames{
    FormatName{PixelFormat::kYuyv, "YUYV"},   FormatName{PixelFormat::kNv12, "NV12"},
    FormatName{PixelFormat::kGrey, "GREY"},   FormatName{PixelFormat::kRgb24, "RGB24"},
    FormatName{PixelFormat::kMjpeg, "MJPEG"},
};
}  // namespace

std::string_view pixelFormatName(PixelFormat format) {
  for (const FormatName& f : kFormatNames) {
    if (f.format == format) return f.name;
  }
  return "invalid";
}

std::optional<PixelFormat> parsePixelFormat(std::string_view name) {
  for (const FormatName& f : kFormatNames) {
    if (f.name == name) return f.format;
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

bool validImageSize(PixelFormat format, int width, int height) {
  if (width <= 0 || height <= 0) return false;
  switch (format) {
    case PixelFormat::kYuyv: return width % 2 == 0;
    case PixelFormat::kNv12: return width % 2 == 0 && height % 2 == 0;
    default: return true;
  }
}

}  // namespace edgert
