// The multiply-adds an op does, for reporting a model's arithmetic rate (edgert bench) and
// bounding what the compiler folds. Counted as the textbook definition of each op, not as
// a kernel happens to compute it (padding taps and masked lanes are not counted).
#include "edgert/kernels/registry.hpp"

#include <algorithm>
#include <limits>

namespace edgert::kernels {
namespace {

std::uint64_t numel(const TensorType& t) {
  return t.shape.rank < 0 ? 0 : static_cast<std::uint64_t>(t.shape.numel());
}

// Saturating: shapes are validated (each count at most 2^40), a product may still not fit.
std::uint64_t times(std::uint64_t a, std::uint64_t b) {
  std::uint64_t p = 0;
  return __builtin_mul_overflow(a, b, &p) ? std::numeric_limits<std::uint64_t>::max() : p;
}

// Weights per row of a conv's weight tensor (C/group x kH x kW for Conv, OC/group x kH x kW
// for ConvTranspose).
std::uint64_t perWeightRow(const TensorType& w) {
  if (w.shape.rank < 1 || w.shape.dims[0] <= 0) return 0;
  return numel(w) / static_cast<std::uint64_t>(w.shape.dims[0]);
}

}  // namespace

std::uint64_t multiplyAdds(OpCode code, const void* params, std::span<const TensorType> inputs,
                           std::span<const TensorType> outputs) {
  if (outputs.empty()) return 0;
  const std::uint64_t out = numel(outputs[0]);
  switch (code) {
    case OpCode::kConv:  // each output: C/group x kH x kW
      return inputs.size() < 2 ? 0 : times(out, perWeightRow(inputs[1]));
    case OpCode::kConvTranspose:  // each input: OC/group x kH x kW
      return inputs.size() < 2 ? 0 : times(numel(inputs[0]), perWeightRow(inputs[1]));
    case OpCode::kGemm: {  // each output: K products
      if (inputs.empty() || inputs[0].shape.rank != 2) return 0;
      const auto& p = *static_cast<const GemmParams*>(params);
      return times(out, static_cast<std::uint64_t>(inputs[0].shape.dims[p.transA ? 0 : 1]));
    }
    case OpCode::kMatMul: {  // each output: A's last dim
      if (inputs.empty() || inputs[0].shape.rank < 1) return 0;
      return times(out, static_cast<std::uint64_t>(inputs[0].shape.dims[inputs[0].shape.rank - 1]));
    }
    case OpCode::kDepthwisePointwise: {  // T: kH x kW per value; Y: C per output
      if (inputs.size() < 2 || inputs[0].shape.rank != 4 || outputs[0].shape.rank != 4) return 0;
      const std::uint64_t t = times(out / static_cast<std::uint64_t>(std::max<std::int64_t>(outputs[0].shape.dims[1], 1)),
                                    static_cast<std::uint64_t>(inputs[0].shape.dims[1]));  // N x C x OH x OW
      const std::uint64_t c = static_cast<std::uint64_t>(inputs[0].shape.dims[1]);
      const std::uint64_t depthwise = times(t, perWeightRow(inputs[1]));
      const std::uint64_t pointwise = times(out, c);
      return depthwise > std::numeric_limits<std::uint64_t>::max() - pointwise
                 ? std::numeric_limits<std::uint64_t>::max()
                 : depthwise + pointwise;
    }
    default: return 0;
  }
}

}  // namespace edgert::kernels
