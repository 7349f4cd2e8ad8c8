// The service's post-processing step: the configured decoder bound to the engine's output
// tensors once, at start (BlazeFace heads found by shape, or the one score tensor of a
// classifier), then run on every frame without allocating.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/postprocess.hpp"
#include "edgert/runtime/service_config.hpp"

namespace edgert::runtime {

class Postprocessor {
 public:
  static Result<Postprocessor> create(const ServiceConfig::Postprocess& config,
                                      const Engine& engine, int inputWidth, int inputHeight);
  // Decodes the engine's latest outputs into `out`; returns how many detections.
  std::size_t run(std::span<Detection> out);
  // Whether the last run() saw NaN or infinity among the scores (a fault if it persists).
  bool lastOutputsNonFinite() const { return nonFinite_; }
  std::size_t memoryBytes() const;

 private:
  Postprocessor() = default;
  PostprocessKind kind_ = PostprocessKind::kNone;
  std::optional<BlazeFaceDecoder> face_;
  std::vector<BlazeFaceHead> heads_;
  std::span<const float> scores_;  // topk: the class scores
  std::size_t k_ = 0;
  bool nonFinite_ = false;
};

}  // namespace edgert::runtime
