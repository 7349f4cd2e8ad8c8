// What every decoder shares: box overlap and the mapping back to the source image.
#include <algorithm>

#include "edgert/runtime/postprocess.hpp"

namespace edgert::runtime {

float boxIou(const Detection& a, const Detection& b) {
  const float iw = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const float ih = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (!(iw > 0.0F) || !(ih > 0.0F)) return 0.0F;  // also NaN coordinates
  const float inter = iw * ih;
  const float areaA = (a.x1 - a.x0) * (a.y1 - a.y0);
  const float areaB = (b.x1 - b.x0) * (b.y1 - b.y0);
  const float uni = areaA + areaB - inter;
  return uni > 0.0F ? inter / uni : 0.0F;
}

Detection toSourcePixels(const Detection& d, const kernels::ImageMapping& m) {
  Detection s = d;
  s.x0 = m.toSourceX(d.x0);
  s.y0 = m.toSourceY(d.y0);
  s.x1 = m.toSourceX(d.x1);
  s.y1 = m.toSourceY(d.y1);
  for (int k = 0; k < d.numKeypoints && k < kMaxKeypoints; ++k) {
    const auto i = static_cast<std::size_t>(k);
    s.keypoints[i] = {m.toSourceX(d.keypoints[i][0]), m.toSourceY(d.keypoints[i][1])};
  }
  if (d.hasCorners) {
    for (std::size_t i = 0; i < s.corners.size(); ++i) {
      s.corners[i] = {m.toSourceX(d.corners[i].x), m.toSourceY(d.corners[i].y)};
    }
  }
  return s;
}

}  // namespace edgert::runtime
