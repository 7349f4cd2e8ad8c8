#include "postprocessor.hpp"

#include <cmath>

namespace edgert::runtime {

namespace {
bool allFinite(std::span<const float> values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}
}  // namespace

Result<Postprocessor> Postprocessor::create(const ServiceConfig::Postprocess& config,
                                            const Engine& engine, int inputWidth,
                                            int inputHeight) {
  Postprocessor p;
  p.kind_ = config.kind;
  switch (config.kind) {
    case PostprocessKind::kNone: return p;
    case PostprocessKind::kBlazeFace: {
      if (inputWidth != inputHeight || (inputWidth != 128 && inputWidth != 256)) {
        return makeError(Errc::kUnsupported,
                         "postprocess.kind = \"blazeface\": the model input is {}x{}; BlazeFace "
                         "front is 128x128 and back 256x256",
                         inputWidth, inputHeight);
      }
      BlazeFaceParams params = inputWidth == 128 ? BlazeFaceParams::front() : BlazeFaceParams::back();
      params.scoreThreshold = config.scoreThreshold;
      params.iouThreshold = config.iouThreshold;
      params.maxDetections = config.maxDetections;
      EDGERT_ASSIGN_OR_RETURN(auto decoder, BlazeFaceDecoder::create(params));
      p.face_.emplace(std::move(decoder));
      EDGERT_ASSIGN_OR_RETURN(p.heads_, p.face_->findHeads(engine));
      return p;
    }
    case PostprocessKind::kTopK: {
      if (engine.outputs().size() != 1 ||
          engine.outputs()[0].type.dtype != kernels::DType::kFloat32) {
        return makeError(Errc::kUnsupported,
                         "postprocess.kind = \"topk\": expected a model with one float32 output "
                         "(class scores), found {} outputs",
                         engine.outputs().size());
      }
      const Engine::Binding& out = engine.outputs()[0];
      std::size_t n = 1;
      for (int i = 0; i < out.type.shape.rank; ++i) n *= static_cast<std::size_t>(out.type.shape.dims[i]);
      p.scores_ = {reinterpret_cast<const float*>(out.data), n};
      p.k_ = static_cast<std::size_t>(config.topK);
      return p;
    }
  }
  return p;
}

std::size_t Postprocessor::run(std::span<Detection> out) {
  switch (kind_) {
    case PostprocessKind::kNone: nonFinite_ = false; return 0;
    case PostprocessKind::kBlazeFace: {
      nonFinite_ = false;
      for (const BlazeFaceHead& h : heads_) nonFinite_ = nonFinite_ || !allFinite(h.scores);
      return face_->decode(heads_, out);
    }
    case PostprocessKind::kTopK:
      nonFinite_ = !allFinite(scores_);
      return topK(scores_, k_, out);
  }
  return 0;
}

std::size_t Postprocessor::memoryBytes() const {
  return (face_ ? face_->memoryBytes() : 0) + heads_.capacity() * sizeof(BlazeFaceHead);
}

}  // namespace edgert::runtime
