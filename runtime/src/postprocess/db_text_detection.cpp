// DB text-region post-processing as PaddleOCR's DBPostProcess does it in box mode
// (boxes_from_bitmap): binarize the probability map, take each connected region's
// minimum-area rectangle (cv2.findContours + cv2.minAreaRect), drop thin and unlikely
// regions, grow the rest by the unclip distance (pyclipper) and order the corners.
//
// Differences, each for the static memory plan or the frame loop:
// - The region's score is the mean probability over its own pixels (PaddleOCR's
//   box_score_fast averages over the rectangle's filled polygon).
// - The maxRegions best by score are kept (PaddleOCR takes the first max_candidates
//   contours in the order findContours returns them).
// - Regions come out in reading order (PaddleOCR sorts them later, in sorted_boxes).
//
// Coordinates: while fitting, a pixel is its centre at integer (x, y), as cv2 contour
// points are, so the rectangle's sides are PaddleOCR's (a filled w x h pixel block gives a
// (w-1) x (h-1) rectangle, which the unclip ratio is tuned for). The corners are then moved
// by half a pixel into the continuous frame of text_detection.hpp (pixel centres at
// + 0.5) and clamped to the map, [0, mapWidth] x [0, mapHeight], as PaddleOCR clips to
// [0, dest_width] x [0, dest_height].
#include <algorithm>
#include <cmath>
#include <limits>

#include "edgert/runtime/text_detection.hpp"

namespace edgert::runtime {

namespace {

bool inOpenUnitRange(float v) { return v > 0.0F && v < 1.0F; }  // false for NaN

Result<void> checkParams(const DbParams& p, int mapWidth, int mapHeight) {
  if (!inOpenUnitRange(p.threshold)) {
    return makeError(Errc::kInvalidArgument,
                     "DB text detection: threshold {}: expected above 0 and below 1", p.threshold);
  }
  if (!inOpenUnitRange(p.boxThreshold)) {
    return makeError(Errc::kInvalidArgument,
                     "DB text detection: boxThreshold {}: expected above 0 and below 1",
                     p.boxThreshold);
  }
  if (!(p.unclipRatio > 0.0F) || !std::isfinite(p.unclipRatio)) {
    return makeError(Errc::kInvalidArgument,
                     "DB text detection: unclipRatio {}: expected a finite value above 0",
                     p.unclipRatio);
  }
  if (p.minSize < 1) {
    return makeError(Errc::kInvalidArgument,
                     "DB text detection: minSize {}: expected at least 1 (map pixels)", p.minSize);
  }
  if (p.maxRegions < 1 || p.maxRegions > DbTextDetector::kMaxRegionsLimit) {
    return makeError(Errc::kInvalidArgument, "DB text detection: maxRegions {}: expected 1 to {}",
                     p.maxRegions, DbTextDetector::kMaxRegionsLimit);
  }
  if (mapWidth < 1 || mapWidth > DbTextDetector::kMaxMapSide) {
    return makeError(Errc::kInvalidArgument,
                     "DB text detection: mapWidth {}: expected 1 to {} pixels", mapWidth,
                     DbTextDetector::kMaxMapSide);
  }
  if (mapHeight < 1 || mapHeight > DbTextDetector::kMaxMapSide) {
    return makeError(Errc::kInvalidArgument,
                     "DB text detection: mapHeight {}: expected 1 to {} pixels", mapHeight,
                     DbTextDetector::kMaxMapSide);
  }
  return success();
}

struct Vec {
  double x = 0;
  double y = 0;
};

// A rectangle: centre, the unit direction of one side, the half lengths of the side along
// `u` and of the side along n = (-u.y, u.x) (u turned 90 degrees clockwise on the screen).
struct Rect {
  Vec centre;
  Vec u{1, 0};
  double halfU = 0;
  double halfN = 0;
};

// Turn of a -> b -> c: above 0 counter-clockwise in x-right/y-up terms.
std::int64_t cross(const auto& a, const auto& b, const auto& c) {
  return std::int64_t{b.x - a.x} * (c.y - a.y) - std::int64_t{b.y - a.y} * (c.x - a.x);
}

// Andrew's monotone chain over points sorted by (y, x), which is the order the rows give
// them: the algorithm holds for any lexicographic order (this one is x and y swapped, a
// mirror image, so only the hull's turning direction changes, and nothing here depends on
// it). Collinear points are dropped. `hull` holds 2 * points.size() entries; returns how many
// vertices it has.
template <typename P>
std::size_t convexHull(std::span<const P> points, std::span<P> hull) {
  const std::size_t n = points.size();
  if (n < 3) {
    std::copy(points.begin(), points.end(), hull.begin());
    return n;
  }
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  const std::size_t lower = k + 1;
  for (std::size_t i = n - 1; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  return k - 1;  // the last point is the first again
}

// The minimum-area rectangle around a convex polygon (3 vertices or more, no three
// collinear): one of its sides lies on an edge of the polygon (Freeman and Shapira), so
// every edge is tried with the extents of the polygon along it and across it. Quadratic
// in the vertices, which stay few: a convex lattice polygon inside an n x n map has
// O(n^(2/3)) of them.
template <typename P>
Rect minAreaRect(std::span<const P> hull) {
  Rect best;
  double bestArea = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < hull.size(); ++i) {
    const P& a = hull[i];
    const P& b = hull[(i + 1) % hull.size()];
    const double ex = b.x - a.x;
    const double ey = b.y - a.y;
    const double length = std::hypot(ex, ey);
    const Vec u{ex / length, ey / length};
    double minS = 0, maxS = 0, minT = 0, maxT = 0;  // `a` itself is at (0, 0)
    for (const P& p : hull) {
      const double dx = p.x - a.x;
      const double dy = p.y - a.y;
      const double s = dx * u.x + dy * u.y;
      const double t = -dx * u.y + dy * u.x;
      minS = std::min(minS, s);
      maxS = std::max(maxS, s);
      minT = std::min(minT, t);
      maxT = std::max(maxT, t);
    }
    const double area = (maxS - minS) * (maxT - minT);
    if (area < bestArea) {
      bestArea = area;
      const double midS = 0.5 * (minS + maxS);
      const double midT = 0.5 * (minT + maxT);
      best.centre = {a.x + u.x * midS - u.y * midT, a.y + u.y * midS + u.x * midT};
      best.u = u;
      best.halfU = 0.5 * (maxS - minS);
      best.halfN = 0.5 * (maxT - minT);
    }
  }
  return best;
}

// Turns `r` by quarter turns (which changes only which side is `u`) until `u` is within 45
// degrees of +x: the largest x component, ties to the larger y. Then p0 -> p1 runs along
// u, p1 -> p2 along n, which is clockwise on the screen, and p0 is the top-left.
Rect orientToScreen(Rect r) {
  Rect best = r;
  for (int turn = 1; turn < 4; ++turn) {
    r.u = {-r.u.y, r.u.x};
    std::swap(r.halfU, r.halfN);
    if (r.u.x > best.u.x || (r.u.x == best.u.x && r.u.y > best.u.y)) best = r;
  }
  return best;
}

}  // namespace

Result<DbTextDetector> DbTextDetector::create(const DbParams& params, int mapWidth, int mapHeight) {
  EDGERT_TRY(checkParams(params, mapWidth, mapHeight));
  DbTextDetector d;
  d.params_ = params;
  d.width_ = mapWidth;
  d.height_ = mapHeight;
  const auto w = static_cast<std::size_t>(mapWidth);
  const auto h = static_cast<std::size_t>(mapHeight);
  d.mask_.resize(w * h);
  d.stack_.resize(w * h);  // each pixel is pushed at most once
  d.rowMin_.assign(h, std::numeric_limits<std::int32_t>::max());
  d.rowMax_.assign(h, -1);
  d.points_.resize(2 * h);
  d.hull_.resize(4 * h);
  d.candidates_.resize(static_cast<std::size_t>(params.maxRegions));
  return d;
}

void DbTextDetector::offer(const TextRegion& region, std::size_t limit) {
  std::size_t pos = 0;
  if (numCandidates_ == limit) {
    if (!(region.score > candidates_[limit - 1].region.score)) return;
    pos = limit - 1;  // the worst makes room
  } else {
    pos = numCandidates_++;
  }
  // Equal scores stay behind the ones found earlier.
  while (pos > 0 && candidates_[pos - 1].region.score < region.score) {
    candidates_[pos] = candidates_[pos - 1];
    --pos;
  }
  candidates_[pos] = Candidate{region, 0, 0, 0, 0};
}

void DbTextDetector::traceRegion(std::span<const float> probability, std::size_t seed,
                                 std::size_t limit) {
  const auto w = static_cast<std::size_t>(width_);
  const auto h = static_cast<std::size_t>(height_);
  // Flood fill with an explicit stack: a pixel leaves the mask when pushed, so it is pushed
  // once and the stack never holds more than the map.
  std::size_t depth = 0;
  stack_[depth++] = static_cast<std::uint32_t>(seed);
  mask_[seed] = 0;
  double sum = 0;
  std::size_t count = 0;
  const std::size_t yFirst = seed / w;  // the seed is the region's first pixel in raster order
  std::size_t yLast = yFirst;
  while (depth > 0) {
    const std::size_t i = stack_[--depth];
    const std::size_t y = i / w;
    const std::size_t x = i - y * w;
    sum += static_cast<double>(probability[i]);
    ++count;
    const auto xi = static_cast<std::int32_t>(x);
    rowMin_[y] = std::min(rowMin_[y], xi);
    rowMax_[y] = std::max(rowMax_[y], xi);
    yLast = std::max(yLast, y);
    const std::size_t y0 = y > 0 ? y - 1 : y;
    const std::size_t y1 = y + 1 < h ? y + 1 : y;
    const std::size_t x0 = x > 0 ? x - 1 : x;
    const std::size_t x1 = x + 1 < w ? x + 1 : x;
    for (std::size_t ny = y0; ny <= y1; ++ny) {
      for (std::size_t nx = x0; nx <= x1; ++nx) {
        const std::size_t j = ny * w + nx;
        if (mask_[j] != 0) {
          mask_[j] = 0;
          stack_[depth++] = static_cast<std::uint32_t>(j);
        }
      }
    }
  }

  // The hull's input, the leftmost and rightmost pixel of every row, in (y, x) order; the
  // rows are reset for the next region on the way.
  std::size_t numPoints = 0;
  for (std::size_t y = yFirst; y <= yLast; ++y) {
    if (rowMax_[y] >= 0) {  // always true: an 8-connected region has pixels in every row it spans
      const auto yi = static_cast<std::int32_t>(y);
      points_[numPoints++] = {rowMin_[y], yi};
      if (rowMax_[y] != rowMin_[y]) points_[numPoints++] = {rowMax_[y], yi};
    }
    rowMin_[y] = std::numeric_limits<std::int32_t>::max();
    rowMax_[y] = -1;
  }

  const auto score = static_cast<float>(sum / static_cast<double>(count));
  if (!(score >= params_.boxThreshold)) return;
  if (numCandidates_ == limit && !(score > candidates_[limit - 1].region.score)) return;

  const std::size_t numHull =
      convexHull<GridPoint>(std::span<const GridPoint>(points_).first(numPoints), hull_);
  if (numHull < 3) return;  // a point or a line: its short side is 0, under minSize
  Rect rect = minAreaRect<GridPoint>(std::span<const GridPoint>(hull_).first(numHull));
  if (2.0 * std::min(rect.halfU, rect.halfN) < params_.minSize) return;

  // Unclip. PaddleOCR offsets the rectangle by d = area * unclipRatio / perimeter with
  // pyclipper (round joins) and takes the minimum-area rectangle of the result again: that
  // is a rounded rectangle whose arcs stay inside the original rectangle grown by d on every
  // side and touch its sides, so for a rectangle the two steps give exactly that grown
  // rectangle.
  const double width = 2.0 * rect.halfU;
  const double height = 2.0 * rect.halfN;
  const double distance = width * height * static_cast<double>(params_.unclipRatio) /
                          (2.0 * (width + height));
  rect.halfU += distance;
  rect.halfN += distance;
  if (2.0 * std::min(rect.halfU, rect.halfN) < params_.minSize + 2) return;

  const Rect r = orientToScreen(rect);
  const Vec n{-r.u.y, r.u.x};
  const Vec along{r.u.x * r.halfU, r.u.y * r.halfU};
  const Vec across{n.x * r.halfN, n.y * r.halfN};
  const auto corner = [&](double su, double sn) {
    // + 0.5: from pixel centres at integers to the continuous frame of the header.
    const double x = r.centre.x + su * along.x + sn * across.x + 0.5;
    const double y = r.centre.y + su * along.y + sn * across.y + 0.5;
    return Point{static_cast<float>(std::clamp(x, 0.0, static_cast<double>(width_))),
                 static_cast<float>(std::clamp(y, 0.0, static_cast<double>(height_)))};
  };
  TextRegion region;
  region.quad = {corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)};
  region.score = score;
  offer(region, limit);
}

void DbTextDetector::sortIntoReadingOrder() {
  const auto kept = candidates_.begin() + static_cast<std::ptrdiff_t>(numCandidates_);
  for (auto it = candidates_.begin(); it != kept; ++it) {
    const Quad& q = it->region.quad;
    it->top = std::min({q[0].y, q[1].y, q[2].y, q[3].y});
    it->bottom = std::max({q[0].y, q[1].y, q[2].y, q[3].y});
    it->left = std::min({q[0].x, q[1].x, q[2].x, q[3].x});
    it->line = std::numeric_limits<std::uint32_t>::max();
  }
  std::sort(candidates_.begin(), kept, [](const Candidate& a, const Candidate& b) {
    return a.top != b.top ? a.top < b.top : a.left < b.left;
  });
  // Lines: the highest region not yet in a line starts one and takes every later region
  // whose vertical centre is within half its height of its own.
  std::uint32_t lines = 0;
  for (std::size_t i = 0; i < numCandidates_; ++i) {
    Candidate& first = candidates_[i];
    if (first.line != std::numeric_limits<std::uint32_t>::max()) continue;
    first.line = lines;
    const float centre = 0.5F * (first.top + first.bottom);
    const float reach = 0.5F * (first.bottom - first.top);
    for (std::size_t j = i + 1; j < numCandidates_; ++j) {
      Candidate& c = candidates_[j];
      if (c.line == std::numeric_limits<std::uint32_t>::max() &&
          std::abs(0.5F * (c.top + c.bottom) - centre) <= reach) {
        c.line = lines;
      }
    }
    ++lines;
  }
  std::sort(candidates_.begin(), kept, [](const Candidate& a, const Candidate& b) {
    if (a.line != b.line) return a.line < b.line;
    return a.left != b.left ? a.left < b.left : a.top < b.top;
  });
}

std::size_t DbTextDetector::detect(std::span<const float> probability, std::span<TextRegion> out) {
  if (probability.size() != mask_.size()) return 0;  // a caller's bug; never read past the map
  const std::size_t limit = std::min(out.size(), static_cast<std::size_t>(params_.maxRegions));
  if (limit == 0) return 0;
  numCandidates_ = 0;
  const float threshold = params_.threshold;
  for (std::size_t i = 0; i < probability.size(); ++i) {
    mask_[i] = probability[i] > threshold ? 1 : 0;  // NaN: 0
  }
  for (std::size_t i = 0; i < mask_.size(); ++i) {
    if (mask_[i] != 0) traceRegion(probability, i, limit);
  }
  sortIntoReadingOrder();
  for (std::size_t i = 0; i < numCandidates_; ++i) out[i] = candidates_[i].region;
  return numCandidates_;
}

std::size_t DbTextDetector::memoryBytes() const {
  return mask_.capacity() * sizeof(std::uint8_t) + stack_.capacity() * sizeof(std::uint32_t) +
         (rowMin_.capacity() + rowMax_.capacity()) * sizeof(std::int32_t) +
         (points_.capacity() + hull_.capacity()) * sizeof(GridPoint) +
         candidates_.capacity() * sizeof(Candidate);
}

}  // namespace edgert::runtime
