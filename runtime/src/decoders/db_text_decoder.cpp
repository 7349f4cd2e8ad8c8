// postprocess.kind = "ocr", its first stage: the text detector's probability map (PP-OCR
// det, DB) to text regions (text_detection.hpp's DbTextDetector), each a rotated rectangle
// as a detection with corners in model-input pixels. The recogniser's stage reads them.
#include <algorithm>
#include <vector>

#include "decoder.hpp"
#include "edgert/runtime/text_detection.hpp"

namespace edgert::runtime {

namespace {

class DbTextDecoder final : public Decoder {
 public:
  DbTextDecoder(DbTextDetector detector, std::span<const float> map, float toInputX, float toInputY)
      : detector_(std::move(detector)), map_(map), toInputX_(toInputX), toInputY_(toInputY),
        regions_(static_cast<std::size_t>(detector_.params().maxRegions)) {}

  std::size_t decode(std::span<Detection> out) override {
    nonFinite_ = !allFinite(map_);
    const std::size_t n = detector_.detect(map_, {regions_.data(), std::min(regions_.size(), out.size())});
    for (std::size_t i = 0; i < n; ++i) {
      const TextRegion& r = regions_[i];
      Detection d;
      d.score = r.score;
      d.hasCorners = true;
      // Map coordinates (continuous, like the input's) to input pixels.
      for (std::size_t k = 0; k < 4; ++k) d.corners[k] = {r.quad[k].x * toInputX_, r.quad[k].y * toInputY_};
      d.x0 = std::min({d.corners[0].x, d.corners[1].x, d.corners[2].x, d.corners[3].x});
      d.x1 = std::max({d.corners[0].x, d.corners[1].x, d.corners[2].x, d.corners[3].x});
      d.y0 = std::min({d.corners[0].y, d.corners[1].y, d.corners[2].y, d.corners[3].y});
      d.y1 = std::max({d.corners[0].y, d.corners[1].y, d.corners[2].y, d.corners[3].y});
      out[i] = d;
    }
    return n;
  }
  bool lastOutputsNonFinite() const override { return nonFinite_; }
  std::size_t memoryBytes() const override {
    return detector_.memoryBytes() + regions_.capacity() * sizeof(TextRegion);
  }

 private:
  DbTextDetector detector_;
  std::span<const float> map_;
  float toInputX_ = 1;
  float toInputY_ = 1;
  std::vector<TextRegion> regions_;
  bool nonFinite_ = false;
};

}  // namespace

Result<std::unique_ptr<Decoder>> makeDbTextDecoder(const ServiceConfig::Postprocess& config,
                                                   const DecoderInput& input) {
  // The probability map: the one float32 output of shape 1x1xHxW (or HxW, 1xHxW).
  const Engine& engine = input.engine;
  const Engine::Binding* map = nullptr;
  for (const Engine::Binding& b : engine.outputs()) {
    const kernels::Shape& s = b.type.shape;
    bool leadingOnes = s.rank >= 2;
    for (int i = 0; i + 2 < s.rank; ++i) leadingOnes = leadingOnes && s.dims[i] == 1;
    if (b.type.dtype == kernels::DType::kFloat32 && leadingOnes) {
      map = &b;
      break;
    }
  }
  if (map == nullptr || engine.outputs().size() != 1) {
    std::string found;
    for (const Engine::Binding& b : engine.outputs()) found += (found.empty() ? "" : ", ") + describeBinding(b);
    return makeError(Errc::kUnsupported,
                     "postprocess.kind = \"ocr\": expected a text detector with one float32 output, "
                     "the probability map (1x1xHxW); service.model has {} output{}: {}",
                     engine.outputs().size(), engine.outputs().size() == 1 ? "" : "s", found);
  }
  const kernels::Shape& s = map->type.shape;
  const auto height = static_cast<int>(s.dims[s.rank - 2]);
  const auto width = static_cast<int>(s.dims[s.rank - 1]);
  DbParams params;
  params.threshold = config.text.mapThreshold;
  params.boxThreshold = config.text.boxThreshold;
  params.unclipRatio = config.text.unclipRatio;
  params.maxRegions = config.maxDetections;
  Result<DbTextDetector> detector = DbTextDetector::create(params, width, height);
  if (!detector) {
    return makeError(detector.error().code(), "postprocess (kind = \"ocr\"): {}", detector.error().message());
  }
  return std::unique_ptr<Decoder>(new DbTextDecoder(
      std::move(*detector), floatValues(*map), static_cast<float>(input.inputWidth) / static_cast<float>(width),
      static_cast<float>(input.inputHeight) / static_cast<float>(height)));
}

}  // namespace edgert::runtime
