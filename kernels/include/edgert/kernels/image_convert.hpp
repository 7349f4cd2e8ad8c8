// A camera frame as plain RGB24, for people rather than models: snapshots, debug dumps.
// Every pixel goes through the same per-pixel conversion as pre-processing (BT.601 limited
// range for YUYV and NV12 with chroma shared by each 2x1 / 2x2 block, GREY copied to all
// three channels), so what a snapshot shows is exactly what the model was given, before
// resizing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "edgert/base/image.hpp"

namespace edgert::kernels {

// Bytes convertToRgb24() writes for `image`: width * height * 3 (0 for an empty image).
std::size_t rgb24Bytes(const ImageView& image);

// Converts `image` (YUYV, NV12, GREY or RGB24, with its strides) to tightly packed RGB24 of
// the same size in `out`, row after row. `out` must hold rgb24Bytes(image) bytes; a smaller
// span, or MJPEG (compressed, never in a frame), leaves `out` untouched. Allocates nothing.
void convertToRgb24(const ImageView& image, std::span<std::uint8_t> out);

}  // namespace edgert::kernels
