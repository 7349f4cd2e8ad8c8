// postprocess.kind = "blazeface": MediaPipe's face detector (postprocess.hpp's
// BlazeFaceDecoder), its two output heads found among the engine's outputs by shape.
#include <optional>

#include "decoder.hpp"

namespace edgert::runtime {

namespace {

class BlazeFaceFrameDecoder final : public Decoder {
 public:
  BlazeFaceFrameDecoder(BlazeFaceDecoder decoder, std::vector<BlazeFaceHead> heads)
      : decoder_(std::move(decoder)), heads_(std::move(heads)) {}

  std::size_t decode(std::span<Detection> out) override {
    nonFinite_ = false;
    for (const BlazeFaceHead& h : heads_) nonFinite_ = nonFinite_ || !allFinite(h.scores);
    return decoder_.decode(heads_, out);
  }
  bool lastOutputsNonFinite() const override { return nonFinite_; }
  std::size_t memoryBytes() const override {
    return decoder_.memoryBytes() + heads_.capacity() * sizeof(BlazeFaceHead);
  }

 private:
  BlazeFaceDecoder decoder_;
  std::vector<BlazeFaceHead> heads_;
  bool nonFinite_ = false;
};

}  // namespace

Result<std::unique_ptr<Decoder>> makeBlazeFaceDecoder(const ServiceConfig::Postprocess& config,
                                                      const DecoderInput& input) {
  if (input.inputWidth != input.inputHeight || (input.inputWidth != 128 && input.inputWidth != 256)) {
    return makeError(Errc::kUnsupported,
                     "postprocess.kind = \"blazeface\": the model input is {}x{}; BlazeFace "
                     "front is 128x128 and back 256x256",
                     input.inputWidth, input.inputHeight);
  }
  BlazeFaceParams params = input.inputWidth == 128 ? BlazeFaceParams::front() : BlazeFaceParams::back();
  params.scoreThreshold = config.scoreThreshold;
  params.iouThreshold = config.iouThreshold;
  params.maxDetections = config.maxDetections;
  EDGERT_ASSIGN_OR_RETURN(auto decoder, BlazeFaceDecoder::create(params));
  EDGERT_ASSIGN_OR_RETURN(auto heads, decoder.findHeads(input.engine));
  return std::unique_ptr<Decoder>(new BlazeFaceFrameDecoder(std::move(decoder), std::move(heads)));
}

}  // namespace edgert::runtime
