// postprocess.kind = "topk": a classifier's one float32 output of class scores, the
// top_k best as detections with a class id and an empty box.
#include "decoder.hpp"

namespace edgert::runtime {

namespace {

class TopKDecoder final : public Decoder {
 public:
  TopKDecoder(std::span<const float> scores, std::size_t k) : scores_(scores), k_(k) {}

  std::size_t decode(std::span<Detection> out) override {
    nonFinite_ = !allFinite(scores_);
    return topK(scores_, k_, out);
  }
  bool lastOutputsNonFinite() const override { return nonFinite_; }
  std::size_t memoryBytes() const override { return 0; }

 private:
  std::span<const float> scores_;
  std::size_t k_ = 0;
  bool nonFinite_ = false;
};

}  // namespace

Result<std::unique_ptr<Decoder>> makeTopKDecoder(const ServiceConfig::Postprocess& config,
                                                 const DecoderInput& input) {
  const Engine& engine = input.engine;
  if (engine.outputs().size() != 1 || engine.outputs()[0].type.dtype != kernels::DType::kFloat32) {
    return makeError(Errc::kUnsupported,
                     "postprocess.kind = \"topk\": expected a model with one float32 output "
                     "(class scores), found {} outputs",
                     engine.outputs().size());
  }
  return std::unique_ptr<Decoder>(
      new TopKDecoder(floatValues(engine.outputs()[0]), static_cast<std::size_t>(config.topK)));
}

}  // namespace edgert::runtime
