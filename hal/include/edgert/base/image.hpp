// Images as they come from a camera or a file and go into pre-processing: a pixel format,
// a size and up to two planes with their strides. ImageView borrows; whoever produced the
// frame owns the memory (a V4L2 buffer, a decoded still image, a file's frame slot).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace edgert {

// The pixel formats edgert captures and converts. MJPEG is a capture format only: libv4l2
// decodes it to RGB24 (libv4lconvert), so frames never carry it.
enum class PixelFormat : std::uint8_t {
  kYuyv,   // packed 4:2:2, Y0 U Y1 V; 2 bytes per pixel, even width
  kNv12,   // 4:2:0, a Y plane then one interleaved U V plane at half height; even sizes
  kGrey,   // 8-bit luma
  kRgb24,  // packed R G B, 3 bytes per pixel
  kMjpeg,  // compressed (capture only)
};

// "YUYV", "NV12", "GREY", "RGB24", "MJPEG".
std::string_view pixelFormatName(PixelFormat format);
std::optional<PixelFormat> parsePixelFormat(std::string_view name);

// Planes of an uncompressed format: 2 for NV12, 1 otherwise (0 for MJPEG).
int planeCount(PixelFormat format);
// Bytes per row of a tightly packed plane; 0 for MJPEG.
std::size_t packedStride(PixelFormat format, int width, int plane = 0);
// Rows of a plane: NV12's chroma plane has half the rows.
int planeRows(PixelFormat format, int height, int plane);
// Bytes of a tightly packed image (all planes); 0 for MJPEG.
std::size_t packedImageBytes(PixelFormat format, int width, int height);
// Whether the format allows these dimensions (YUYV and NV12 need even sizes).
bool validImageSize(PixelFormat format, int width, int height);

struct ImageView {
  PixelFormat format = PixelFormat::kRgb24;
  int width = 0;
  int height = 0;
  std::array<const std::uint8_t*, 2> planes{};
  std::array<std::size_t, 2> strides{};  // bytes from one row to the next, per plane
};

// A view of a tightly packed image at `data` (packedImageBytes bytes, planes back to back).
ImageView packedImageView(PixelFormat format, int width, int height, const std::uint8_t* data);

}  // namespace edgert
