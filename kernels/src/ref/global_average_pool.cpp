// GlobalAveragePool, reference kernel: the mean of each (n, c) plane over all spatial axes,
// Y = (N, C, 1, ..., 1) with X's rank (any rank >= 3). Sums are accumulated in double.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "GlobalAveragePool";

}  // namespace

Result<void> inferGlobalAveragePool(const void* /*params*/, std::span<const TensorType> inputs,
                                    std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input 0 is {}, expected float32", kOp,
                     dtypeName(x.dtype));
  }
  if (x.shape.rank < 3) {
    return makeError(Errc::kInvalidArgument, "{}: X {} has no spatial axis (rank {} < 3)", kOp,
                     formatShape(x.shape), x.shape.rank);
  }
  Shape y = x.shape;
  for (int i = 2; i < y.rank; ++i) {
    if (y.dims[i] == 0) {
      return makeError(Errc::kInvalidArgument, "{}: X {} is empty on spatial axis {}", kOp,
                       formatShape(x.shape), i);
    }
    y.dims[i] = 1;
  }
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runGlobalAveragePool(const KernelArgs& args) {
  const Shape& s = args.inputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();

  const std::int64_t planes = s.dims[0] * s.dims[1];
  std::int64_t size = 1;
  for (int i = 2; i < s.rank; ++i) size *= s.dims[i];

  for (std::int64_t plane = 0; plane < planes; ++plane) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < size; ++i) sum += x[plane * size + i];
    y[plane] = static_cast<float>(sum / static_cast<double>(size));
  }
}

}  // namespace edgert::kernels::ref
