#include "decoder.hpp"

#include <cmath>

#include <fmt/format.h>

#include "edgert/kernels/shape_check.hpp"

namespace edgert::runtime {

Result<std::unique_ptr<Decoder>> makeFrameDecoder(const ServiceConfig::Postprocess& config,
                                                  const DecoderInput& input) {
  switch (config.kind) {
    case PostprocessKind::kNone: return std::unique_ptr<Decoder>();
    case PostprocessKind::kBlazeFace: return makeBlazeFaceDecoder(config, input);
    case PostprocessKind::kTopK: return makeTopKDecoder(config, input);
    case PostprocessKind::kOcr: return makeDbTextDecoder(config, input);
  }
  return std::unique_ptr<Decoder>();
}

std::span<const float> floatValues(const Engine::Binding& binding) {
  if (binding.type.dtype != kernels::DType::kFloat32) return {};
  std::size_t n = 1;
  for (int i = 0; i < binding.type.shape.rank; ++i) n *= static_cast<std::size_t>(binding.type.shape.dims[i]);
  return {reinterpret_cast<const float*>(binding.data), n};
}

std::string describeBinding(const Engine::Binding& binding) {
  return fmt::format("{} ({} {})", binding.name, kernels::dtypeName(binding.type.dtype),
                     kernels::formatShape(binding.type.shape));
}

bool allFinite(std::span<const float> values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

}  // namespace edgert::runtime
