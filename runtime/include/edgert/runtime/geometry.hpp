// Plane geometry shared by the decoders, the crop step and the snapshot: points and
// quadrilaterals in pixel coordinates (x right, y down; a pixel's centre at integer + 0.5
// where the caller says so).
#pragma once

#include <array>

namespace edgert::runtime {

struct Point {
  float x = 0;
  float y = 0;
};

// Four corners in reading order of the region they bound: top-left, top-right,
// bottom-right, bottom-left as the text (or object) reads, which is clockwise on the screen
// (y grows downwards). A text line upside down in the image has its "top-left" corner at the
// bottom right of the screen.
using Quad = std::array<Point, 4>;

}  // namespace edgert::runtime
