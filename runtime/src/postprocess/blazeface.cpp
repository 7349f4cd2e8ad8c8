// BlazeFace decoding as MediaPipe does it (SsdAnchorsCalculator,
// TensorsToDetectionsCalculator and NonMaxSuppressionCalculator with the WEIGHTED
// algorithm), for the face_detection_front (128) and face_detection_back (256) models.
//
// The regressors are in model-input pixels relative to the anchor: with MediaPipe's fixed
// anchor size (1x1 in normalised units) and x/y/w/h scales equal to the input size,
// centre = regressor / inputSize + anchor (normalised), so in input pixels the centre is
// regressor + anchor centre and the size is the regressor itself.
#include <algorithm>
#include <cmath>
#include <string>

#include "edgert/kernels/shape_check.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/postprocess.hpp"

namespace edgert::runtime {

namespace {

// Generous bounds that only keep a typo from allocating gigabytes.
constexpr int kMaxInputSize = 4096;
constexpr std::size_t kMaxLayers = 64;
constexpr int kMaxAnchorsPerLayer = 64;
constexpr std::size_t kMaxAnchors = std::size_t{1} << 20;

bool inUnitRange(float v) { return v >= 0.0F && v <= 1.0F; }  // false for NaN

Result<void> checkParams(const BlazeFaceParams& p) {
  if (p.inputSize < 1 || p.inputSize > kMaxInputSize) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: inputSize {}: expected 1 to {} pixels",
                     p.inputSize, kMaxInputSize);
  }
  if (p.strides.empty() || p.strides.size() > kMaxLayers) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: strides has {} entries: expected 1 to {}",
                     p.strides.size(), kMaxLayers);
  }
  for (std::size_t i = 0; i < p.strides.size(); ++i) {
    if (p.strides[i] < 1 || p.strides[i] > p.inputSize) {
      return makeError(Errc::kInvalidArgument,
                       "BlazeFace: strides[{}] = {}: expected 1 to inputSize ({})", i,
                       p.strides[i], p.inputSize);
    }
  }
  if (p.anchorsPerLayer < 1 || p.anchorsPerLayer > kMaxAnchorsPerLayer) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: anchorsPerLayer {}: expected 1 to {}",
                     p.anchorsPerLayer, kMaxAnchorsPerLayer);
  }
  if (!inUnitRange(p.anchorOffset)) {
    return makeError(Errc::kInvalidArgument,
                     "BlazeFace: anchorOffset {}: expected 0 to 1 (cells)", p.anchorOffset);
  }
  if (!inUnitRange(p.scoreThreshold)) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: scoreThreshold {}: expected 0 to 1",
                     p.scoreThreshold);
  }
  if (!inUnitRange(p.iouThreshold)) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: iouThreshold {}: expected 0 to 1",
                     p.iouThreshold);
  }
  if (p.maxDetections < 1) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: maxDetections {}: expected at least 1",
                     p.maxDetections);
  }
  if (!(p.logitClip > 0.0F) || !std::isfinite(p.logitClip)) {
    return makeError(Errc::kInvalidArgument,
                     "BlazeFace: logitClip {}: expected a finite value above 0", p.logitClip);
  }
  return success();
}

// MediaPipe clips the logit (so exp cannot overflow to a NaN-producing value) and applies
// the sigmoid.
float scoreOf(float logit, float clip) {
  const float x = std::clamp(logit, -clip, clip);
  return 1.0F / (1.0F + std::exp(-x));
}

std::string describeOutputs(const Engine& engine) {
  std::string text;
  for (const Engine::Binding& b : engine.outputs()) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {} {}", b.name, kernels::dtypeName(b.type.dtype),
                        kernels::formatShape(b.type.shape));
  }
  return text;
}

}  // namespace

BlazeFaceParams BlazeFaceParams::front() { return BlazeFaceParams{}; }

BlazeFaceParams BlazeFaceParams::back() {
  BlazeFaceParams p;
  p.inputSize = 256;
  p.strides = {16, 32, 32, 32};
  return p;
}

Result<BlazeFaceDecoder> BlazeFaceDecoder::create(const BlazeFaceParams& params) {
  EDGERT_TRY(checkParams(params));

  // Count first so a huge layout is refused before anything is allocated.
  std::size_t total = 0;
  for (std::size_t layer = 0; layer < params.strides.size();) {
    std::size_t end = layer;
    while (end < params.strides.size() && params.strides[end] == params.strides[layer]) ++end;
    const auto grid = static_cast<std::size_t>(
        (params.inputSize + params.strides[layer] - 1) / params.strides[layer]);
    total += grid * grid * (end - layer) * static_cast<std::size_t>(params.anchorsPerLayer);
    layer = end;
  }
  if (total > kMaxAnchors) {
    return makeError(Errc::kInvalidArgument,
                     "BlazeFace: strides and anchorsPerLayer give {} anchors: expected at most {}",
                     total, kMaxAnchors);
  }

  BlazeFaceDecoder d;
  d.params_ = params;
  d.anchors_.reserve(total);
  const auto size = static_cast<float>(params.inputSize);
  for (std::size_t layer = 0; layer < params.strides.size();) {
    // Layers with the same stride share a feature map: their anchors are interleaved per
    // cell, which is how the model's head for that map orders its outputs.
    const int stride = params.strides[layer];
    std::size_t end = layer;
    while (end < params.strides.size() && params.strides[end] == stride) ++end;
    const int perCell = static_cast<int>(end - layer) * params.anchorsPerLayer;
    // MediaPipe rounds the feature map up and spreads the cells over the whole input.
    const int grid = (params.inputSize + stride - 1) / stride;
    for (int y = 0; y < grid; ++y) {
      for (int x = 0; x < grid; ++x) {
        const Anchor a{(static_cast<float>(x) + params.anchorOffset) / static_cast<float>(grid) * size,
                       (static_cast<float>(y) + params.anchorOffset) / static_cast<float>(grid) * size};
        for (int k = 0; k < perCell; ++k) d.anchors_.push_back(a);
      }
    }
    d.headSizes_.push_back(static_cast<std::size_t>(grid) * static_cast<std::size_t>(grid) *
                           static_cast<std::size_t>(perCell));
    d.headStrides_.push_back(stride);
    layer = end;
  }
  d.candidates_.resize(total);
  d.boxes_.resize(total);
  return d;
}

Result<void> BlazeFaceDecoder::checkHeads(std::span<const BlazeFaceHead> heads) const {
  if (heads.size() != headSizes_.size()) {
    return makeError(Errc::kInvalidArgument, "BlazeFace: {} output heads given: the layout has {}",
                     heads.size(), headSizes_.size());
  }
  for (std::size_t i = 0; i < heads.size(); ++i) {
    const std::size_t n = headSizes_[i];
    if (heads[i].scores.size() != n) {
      return makeError(Errc::kInvalidArgument,
                       "BlazeFace: head {} (stride {}): {} scores: expected {}", i,
                       headStrides_[i], heads[i].scores.size(), n);
    }
    if (heads[i].regressors.size() != n * kCoords) {
      return makeError(Errc::kInvalidArgument,
                       "BlazeFace: head {} (stride {}): {} regressors: expected {} ({} per anchor)",
                       i, headStrides_[i], heads[i].regressors.size(), n * kCoords, kCoords);
    }
  }
  return success();
}

Result<std::vector<BlazeFaceHead>> BlazeFaceDecoder::findHeads(const Engine& engine) const {
  const std::span<const Engine::Binding> outputs = engine.outputs();
  std::vector<bool> used(outputs.size(), false);
  // The first unused float32 output with `elements` values whose last dimension is `last`.
  const auto take = [&](std::size_t elements, std::int64_t last) -> const Engine::Binding* {
    for (std::size_t j = 0; j < outputs.size(); ++j) {
      const kernels::TensorType& t = outputs[j].type;
      if (used[j] || t.dtype != kernels::DType::kFloat32 || t.shape.rank < 1) continue;
      if (static_cast<std::size_t>(t.shape.numel()) != elements) continue;
      if (t.shape.dims[t.shape.rank - 1] != last) continue;
      used[j] = true;
      return &outputs[j];
    }
    return nullptr;
  };
  std::vector<BlazeFaceHead> heads;
  for (std::size_t i = 0; i < headSizes_.size(); ++i) {
    const std::size_t n = headSizes_[i];
    const Engine::Binding* scores = take(n, 1);
    if (scores == nullptr) {
      return makeError(Errc::kInvalidArgument,
                       "BlazeFace head {} (stride {}): no float32 output of {}x1 scores among: {}",
                       i, headStrides_[i], n, describeOutputs(engine));
    }
    const Engine::Binding* regressors = take(n * kCoords, kCoords);
    if (regressors == nullptr) {
      return makeError(Errc::kInvalidArgument,
                       "BlazeFace head {} (stride {}): no float32 output of {}x{} regressors among: {}",
                       i, headStrides_[i], n, kCoords, describeOutputs(engine));
    }
    heads.push_back({{reinterpret_cast<const float*>(scores->data), n},
                     {reinterpret_cast<const float*>(regressors->data), n * kCoords}});
  }
  return heads;
}

void BlazeFaceDecoder::collect(const BlazeFaceHead& head, std::size_t firstAnchor) {
  for (std::size_t i = 0; i < head.scores.size(); ++i) {
    const float score = scoreOf(head.scores[i], params_.logitClip);
    if (score >= params_.scoreThreshold) {  // false for NaN
      candidates_[numCandidates_++] = {score, static_cast<std::uint32_t>(firstAnchor + i),
                                       head.regressors.data() + i * kCoords};
    }
  }
}

Detection BlazeFaceDecoder::decodeBox(const Candidate& c) const {
  const Anchor& a = anchors_[c.anchor];
  const float* r = c.regressors;
  const float cx = r[0] + a.x;
  const float cy = r[1] + a.y;
  Detection d;
  d.score = c.score;
  d.x0 = cx - 0.5F * r[2];
  d.y0 = cy - 0.5F * r[3];
  d.x1 = cx + 0.5F * r[2];
  d.y1 = cy + 0.5F * r[3];
  d.numKeypoints = kMaxKeypoints;
  for (int k = 0; k < kMaxKeypoints; ++k) {
    d.keypoints[static_cast<std::size_t>(k)] = {r[4 + 2 * k] + a.x, r[5 + 2 * k] + a.y};
  }
  d.classId = 0;
  return d;
}

std::size_t BlazeFaceDecoder::suppress(std::span<Detection> out) {
  // Best first; equal scores in anchor order so the result does not depend on the sort.
  std::sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(numCandidates_),
            [](const Candidate& a, const Candidate& b) {
              return a.score != b.score ? a.score > b.score : a.anchor < b.anchor;
            });
  for (std::size_t i = 0; i < numCandidates_; ++i) boxes_[i] = decodeBox(candidates_[i]);

  // Weighted NMS: the best remaining box leads a group of every remaining box overlapping
  // it by more than the threshold; the group is replaced by its score-weighted average
  // (boxes and keypoints) with the leader's score. The rest, still in score order, are
  // compacted to the front of boxes_ for the next round.
  const std::size_t limit = std::min(out.size(), static_cast<std::size_t>(params_.maxDetections));
  std::size_t remaining = numCandidates_;
  std::size_t written = 0;
  while (remaining > 0 && written < limit) {
    const Detection leader = boxes_[0];
    float weight = leader.score;
    std::array<float, 4 + 2 * kMaxKeypoints> sum{};
    const auto add = [&sum](const Detection& d, float w) {
      sum[0] += w * d.x0;
      sum[1] += w * d.y0;
      sum[2] += w * d.x1;
      sum[3] += w * d.y1;
      for (std::size_t k = 0; k < kMaxKeypoints; ++k) {
        sum[4 + 2 * k] += w * d.keypoints[k][0];
        sum[5 + 2 * k] += w * d.keypoints[k][1];
      }
    };
    add(leader, leader.score);
    std::size_t kept = 0;
    for (std::size_t i = 1; i < remaining; ++i) {
      if (boxIou(boxes_[i], leader) > params_.iouThreshold) {
        add(boxes_[i], boxes_[i].score);
        weight += boxes_[i].score;
      } else {
        boxes_[kept++] = boxes_[i];
      }
    }
    remaining = kept;

    Detection merged = leader;
    if (weight > 0.0F) {  // scores can all be 0 with a threshold of 0
      merged.x0 = sum[0] / weight;
      merged.y0 = sum[1] / weight;
      merged.x1 = sum[2] / weight;
      merged.y1 = sum[3] / weight;
      for (std::size_t k = 0; k < kMaxKeypoints; ++k) {
        merged.keypoints[k] = {sum[4 + 2 * k] / weight, sum[5 + 2 * k] / weight};
      }
    }
    out[written++] = merged;
  }
  return written;
}

std::size_t BlazeFaceDecoder::decode(std::span<const BlazeFaceHead> heads, std::span<Detection> out) {
  // A layout mismatch is a caller's bug, found at start-up by checkHeads; here it only
  // must not read out of bounds.
  if (heads.size() != headSizes_.size()) return 0;
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (heads[i].scores.size() != headSizes_[i] || heads[i].regressors.size() != headSizes_[i] * kCoords) {
      return 0;
    }
  }
  numCandidates_ = 0;
  std::size_t first = 0;
  for (std::size_t i = 0; i < heads.size(); ++i) {
    collect(heads[i], first);
    first += headSizes_[i];
  }
  return suppress(out);
}

std::size_t BlazeFaceDecoder::decode(std::span<const float> scores, std::span<const float> regressors,
                                     std::span<Detection> out) {
  if (scores.size() != anchors_.size() || regressors.size() != anchors_.size() * kCoords) return 0;
  numCandidates_ = 0;
  collect({scores, regressors}, 0);
  return suppress(out);
}

std::size_t BlazeFaceDecoder::memoryBytes() const {
  return anchors_.capacity() * sizeof(Anchor) + headSizes_.capacity() * sizeof(std::size_t) +
         headStrides_.capacity() * sizeof(int) + candidates_.capacity() * sizeof(Candidate) +
         boxes_.capacity() * sizeof(Detection) + params_.strides.capacity() * sizeof(int);
}

}  // namespace edgert::runtime
