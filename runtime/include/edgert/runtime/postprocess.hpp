// Post-processing: a model's raw outputs to detections. BlazeFace (MediaPipe's SSD face
// detector: anchors, score logits and box/keypoint regressors, weighted non-maximum
// suppression) and classification top-k.
//
// Everything a decoder needs per frame is sized in create() for every anchor; decode() and
// topK() then only write into the caller's `out` and allocate nothing, so they can run in
// the frame loop. Coordinates come out in model-input pixels; the caller maps them to the
// source image with the Preprocessor's ImageMapping (toSourcePixels below).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/kernels/image.hpp"
#include "edgert/runtime/geometry.hpp"

namespace edgert {
class Engine;
}  // namespace edgert

namespace edgert::runtime {

inline constexpr int kMaxKeypoints = 6;

struct Detection {
  float score = 0;
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // box corners; all 0 for a classification
  std::array<std::array<float, 2>, kMaxKeypoints> keypoints{};  // (x, y)
  int numKeypoints = 0;
  int classId = 0;
  // A text line (or any rotated region): its corners (geometry.hpp's order: as the text
  // reads), with x0..y1 their bounding box. hasCorners false: the box above is the region.
  Quad corners{};
  bool hasCorners = false;
  // What was read in the region (UTF-8), in storage of the decoder that wrote it: valid
  // until that decoder's next run. Empty for detections that carry no text.
  std::string_view text;
};

// The detection in source-image pixels: every corner and keypoint through `mapping`.
Detection toSourcePixels(const Detection& detection, const kernels::ImageMapping& mapping);

// Intersection over union of two boxes; 0 when either is empty or they do not overlap.
float boxIou(const Detection& a, const Detection& b);

// The anchor layout and thresholds of a BlazeFace model. The defaults are the front
// (short-range, 128x128) model's SSD anchor options in MediaPipe, with the score threshold
// of MediaPipe's original face_detection_front graphs (0.75).
struct BlazeFaceParams {
  int inputSize = 128;  // the square model input, pixels
  // One entry per SSD layer. Consecutive layers with the same stride share one feature
  // map and one output head, with anchorsPerLayer anchors each per cell: 8,16,16,16 gives
  // a 16x16 grid with 2 anchors per cell and an 8x8 grid with 6.
  std::vector<int> strides{8, 16, 16, 16};
  // MediaPipe: aspect ratio 1.0 plus the interpolated scale between layers. With a fixed
  // anchor size the anchors of a cell share one centre and size; only the model's
  // regressors tell them apart.
  int anchorsPerLayer = 2;
  float anchorOffset = 0.5F;  // anchor centre within its cell, in cells
  float scoreThreshold = 0.75F;  // after the sigmoid
  float iouThreshold = 0.3F;     // boxes overlapping the best by more are merged into it
  int maxDetections = 16;
  float logitClip = 100.0F;  // MediaPipe's score_clipping_thresh: logits clipped to +-this

  // The short-range model (face_detection_front, 128x128): the defaults above.
  static BlazeFaceParams front();
  // The full-range "back" model (face_detection_back, 256x256): strides 16,32,32,32, which
  // gives 16x16x2 + 8x8x6 = 896 anchors, like the front model.
  static BlazeFaceParams back();
};

// One output head of the model: the score logits (one per anchor) and the regressors
// (BlazeFaceDecoder::kCoords per anchor) of consecutive anchors.
struct BlazeFaceHead {
  std::span<const float> scores;
  std::span<const float> regressors;
};

class BlazeFaceDecoder {
 public:
  // Regressors per anchor: box centre x, y, width, height, then 6 keypoints as x, y.
  static constexpr int kCoords = 4 + 2 * kMaxKeypoints;

  // Checks every parameter (the error names the one that is wrong), computes the anchors
  // and sizes the scratch for all of them.
  static Result<BlazeFaceDecoder> create(const BlazeFaceParams& params);

  const BlazeFaceParams& params() const { return params_; }
  std::size_t numAnchors() const { return anchors_.size(); }
  // Anchor centres in model-input pixels, in the order the model's outputs are.
  struct Anchor {
    float x = 0;
    float y = 0;
  };
  std::span<const Anchor> anchors() const { return anchors_; }
  // Anchors per output head (one head per run of equal strides), in output order.
  std::span<const std::size_t> headSizes() const { return headSizes_; }

  // Whether `heads` match the layout: one per head, sizes headSizes()[i] and
  // headSizes()[i] * kCoords. decode() checks the same and returns 0 on a mismatch; call
  // this once at start-up for an error that says what is wrong.
  Result<void> checkHeads(std::span<const BlazeFaceHead> heads) const;

  // The heads among an engine's outputs: for each head in order, the first unused float32
  // output with headSizes()[i] elements and last dimension 1 (scores), and the first with
  // headSizes()[i] * kCoords elements and last dimension kCoords (regressors). The spans
  // point into the engine's arena: valid after every invoke(), for the engine's lifetime.
  Result<std::vector<BlazeFaceHead>> findHeads(const Engine& engine) const;

  // Decodes every anchor whose score reaches the threshold, merges overlapping boxes with
  // weighted non-maximum suppression and writes at most min(out.size(), maxDetections)
  // detections, best first. Returns how many. Allocates nothing.
  std::size_t decode(std::span<const BlazeFaceHead> heads, std::span<Detection> out);
  // The same for outputs already concatenated in anchor order (numAnchors() scores and
  // numAnchors() * kCoords regressors).
  std::size_t decode(std::span<const float> scores, std::span<const float> regressors,
                     std::span<Detection> out);

  // Heap bytes held (anchors and scratch), for the memory budget.
  std::size_t memoryBytes() const;

 private:
  BlazeFaceDecoder() = default;

  struct Candidate {
    float score = 0;
    std::uint32_t anchor = 0;
    const float* regressors = nullptr;  // kCoords values, in the caller's output
  };

  void collect(const BlazeFaceHead& head, std::size_t firstAnchor);
  Detection decodeBox(const Candidate& candidate) const;
  std::size_t suppress(std::span<Detection> out);

  BlazeFaceParams params_;
  std::vector<Anchor> anchors_;
  std::vector<std::size_t> headSizes_;
  std::vector<int> headStrides_;  // for error messages
  // Scratch for decode(), one slot per anchor: those above the threshold and their boxes.
  std::vector<Candidate> candidates_;
  std::vector<Detection> boxes_;
  std::size_t numCandidates_ = 0;
};

// Classification: the k best of `scores` (one per class) into `out`, best first, as
// detections with classId and score set and an empty box. Ties keep the lower class id
// first; NaN scores are skipped. Writes min(k, out.size(), scores.size()) at most and
// returns how many. Allocates nothing.
std::size_t topK(std::span<const float> scores, std::size_t k, std::span<Detection> out);

}  // namespace edgert::runtime
