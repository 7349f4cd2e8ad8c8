// Text detection post-processing: the probability map of a DB (Differentiable
// Binarization) text detector, such as PaddleOCR's det models, to rotated text regions,
// as PaddleOCR's DBPostProcess does it (box mode).
//
// Everything detect() needs is sized in create() for one map size; detect() then only
// writes into the caller's `out` and allocates nothing, so it can run in the frame loop.
//
// Coordinates come out in map pixels, continuous: pixel (i, j) covers [i, i+1) x [j, j+1)
// and has its centre at (i + 0.5, j + 0.5), so the whole map is [0, mapWidth] x
// [0, mapHeight], the same frame as kernels::ImageMapping. A DB model's map has the size of
// its input, so the corners are model-input pixels; the caller maps them to the source image
// with the Preprocessor's ImageMapping (toSourcePixels in postprocess.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/runtime/geometry.hpp"

namespace edgert::runtime {

// The thresholds of PaddleOCR's DBPostProcess, with its defaults.
struct DbParams {
  float threshold = 0.3F;     // a map pixel belongs to text when its probability is above this
  float boxThreshold = 0.6F;  // a region is kept when the mean probability of its pixels reaches this
  float unclipRatio = 1.5F;   // the region's rectangle grows by area * ratio / perimeter on each side
  // Regions whose rectangle's short side is under this (map pixels) are dropped; after
  // growing, those under minSize + 2.
  int minSize = 3;
  int maxRegions = 16;  // at most this many regions per map: the highest-scoring ones
};

struct TextRegion {
  // Map pixel coordinates (see the top of this file), geometry.hpp's corner order. The
  // side p0 -> p1 is the one of the region's rectangle whose direction is within 45 degrees
  // of screen-right (+x), so p0 is the top-left on screen and the quad runs clockwise:
  // - a line within 45 degrees of horizontal: p0 -> p1 is its long side, as the text reads;
  // - a region taller than wide (within 45 degrees of vertical): p0 -> p1 is its short
  //   side, so its crop comes out tall, and the recogniser rotates tall crops (as PaddleOCR
  //   does). p0 is then still the corner with the smallest x + y.
  // DB cannot tell a line upside down from one the right way up: both get the order above.
  Quad quad{};
  float score = 0;  // mean probability over the region's pixels
};

class DbTextDetector {
 public:
  // The largest map side and maxRegions create() accepts.
  static constexpr int kMaxMapSide = 8192;
  static constexpr int kMaxRegionsLimit = 1024;

  // Checks every parameter (thresholds strictly between 0 and 1, unclipRatio above 0,
  // minSize at least 1, maxRegions 1 to kMaxRegionsLimit, map sides 1 to kMaxMapSide; the
  // error names the one that is wrong and its value) and allocates all scratch for a map
  // of this size: about 5 bytes per map pixel.
  static Result<DbTextDetector> create(const DbParams& params, int mapWidth, int mapHeight);

  const DbParams& params() const { return params_; }
  int mapWidth() const { return width_; }
  int mapHeight() const { return height_; }

  // `probability`: mapHeight * mapWidth floats, row-major (the det model's 1x1xHxW
  // output); a span of another size is a caller's bug and gives 0 regions. NaN counts as
  // below the threshold.
  //
  // Finds the 8-connected regions of pixels above the threshold, fits each its
  // minimum-area rectangle, drops those that are too thin or whose mean probability is
  // under boxThreshold, grows the rest (unclip) and keeps the min(out.size(), maxRegions)
  // with the highest scores (on equal scores, the one found first in raster order). Writes
  // them in reading order: regions whose vertical centres are within half the height of a
  // line's first region (the one whose bounding box starts highest) form that line, left to
  // right by the left of their bounding box; lines go top to bottom. Returns how many.
  // Allocates nothing.
  std::size_t detect(std::span<const float> probability, std::span<TextRegion> out);

  // Heap bytes held (the scratch), for the memory budget.
  std::size_t memoryBytes() const;

 private:
  DbTextDetector() = default;

  struct GridPoint {
    std::int32_t x = 0;
    std::int32_t y = 0;
  };
  // A kept region and what the reading order needs of it.
  struct Candidate {
    TextRegion region;
    float top = 0, bottom = 0, left = 0;  // bounding box of the quad
    std::uint32_t line = 0;
  };

  // Flood-fills the region holding pixel `seed`, clearing it from mask_; fills rowMin_ /
  // rowMax_ and adds the region to the candidates when it passes every test.
  void traceRegion(std::span<const float> probability, std::size_t seed, std::size_t limit);
  void offer(const TextRegion& region, std::size_t limit);
  void sortIntoReadingOrder();

  DbParams params_;
  int width_ = 0;
  int height_ = 0;
  // Per pixel: 1 while it is above the threshold and not yet part of a traced region.
  std::vector<std::uint8_t> mask_;
  // Pixels of the region being traced still to visit (each pushed once): width * height.
  std::vector<std::uint32_t> stack_;
  // Per map row: the leftmost and rightmost pixel of the region being traced in it.
  std::vector<std::int32_t> rowMin_;
  std::vector<std::int32_t> rowMax_;
  // Hull input (two points per row) and the hull itself.
  std::vector<GridPoint> points_;
  std::vector<GridPoint> hull_;
  // The best regions so far, best first; then in reading order.
  std::vector<Candidate> candidates_;
  std::size_t numCandidates_ = 0;
};

}  // namespace edgert::runtime
