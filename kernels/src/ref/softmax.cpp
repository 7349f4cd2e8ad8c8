// Softmax and LogSoftmax, reference kernels: Y = exp(X - max) / sum(exp(X - max)), or its
// log X - max - log(sum(exp(X - max))), along one axis (opset 13 semantics; the compiler
// rewrites older opsets' flatten-to-2-D form into this). The max is subtracted first so
// large inputs do not overflow; sums are accumulated in double.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

Result<void> inferAlongAxis(std::string_view kOp, const void* params, std::span<const TensorType> inputs,
                            std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  const auto& p = *static_cast<const SoftmaxParams*>(params);
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input 0 is {}, expected float32", kOp,
                     dtypeName(x.dtype));
  }
  if (x.shape.rank == 0) {
    return makeError(Errc::kInvalidArgument, "{}: X is a scalar, it has no axis to normalise", kOp);
  }
  if (p.axis < 0 || p.axis >= x.shape.rank) {
    return makeError(Errc::kCorrupt, "{}: axis {} is outside 0..{} for X {}", kOp, p.axis,
                     x.shape.rank - 1, formatShape(x.shape));
  }
  outputs[0] = x;
  return success();
}

template <bool kLog>
void runAlongAxis(const KernelArgs& args) {
  const auto& p = *static_cast<const SoftmaxParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();

  // X viewed as (outer, length, inner) with the softmax over the middle axis.
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (int i = 0; i < p.axis; ++i) outer *= s.dims[i];
  for (int i = p.axis + 1; i < s.rank; ++i) inner *= s.dims[i];
  const std::int64_t length = s.dims[p.axis];

  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const std::int64_t base = o * length * inner + i;
      float max = -INFINITY;
      for (std::int64_t j = 0; j < length; ++j) max = std::fmax(max, x[base + j * inner]);
      double sum = 0.0;
      if constexpr (kLog) {
        for (std::int64_t j = 0; j < length; ++j) sum += std::exp(static_cast<double>(x[base + j * inner]) - max);
        const double shift = static_cast<double>(max) + std::log(sum);
        for (std::int64_t j = 0; j < length; ++j) {
          y[base + j * inner] = static_cast<float>(static_cast<double>(x[base + j * inner]) - shift);
        }
        continue;
      }
      for (std::int64_t j = 0; j < length; ++j) {
        const float e = std::exp(x[base + j * inner] - max);
        y[base + j * inner] = e;
        sum += e;
      }
      for (std::int64_t j = 0; j < length; ++j) {
        y[base + j * inner] = static_cast<float>(y[base + j * inner] / sum);
      }
    }
  }
}

}  // namespace

Result<void> inferSoftmax(const void* params, std::span<const TensorType> inputs,
                          std::span<TensorType> outputs) {
  return inferAlongAxis("Softmax", params, inputs, outputs);
}

void runSoftmax(const KernelArgs& args) { runAlongAxis<false>(args); }

Result<void> inferLogSoftmax(const void* params, std::span<const TensorType> inputs,
                             std::span<TensorType> outputs) {
  return inferAlongAxis("LogSoftmax", params, inputs, outputs);
}

void runLogSoftmax(const KernelArgs& args) { runAlongAxis<true>(args); }

}  // namespace edgert::kernels::ref
