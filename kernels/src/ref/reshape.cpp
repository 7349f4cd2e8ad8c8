// Reshape (ONNX Reshape, Flatten, Squeeze, Unsqueeze): the same elements in the same order
// under a new shape. The compiler resolves ONNX's 0 and -1 entries; the params hold the
// final output shape. Any dtype.
//
// The output may alias input 0; then there is nothing to do. Otherwise the bytes are
// moved with memmove, so even a partial overlap would be copied correctly.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstring>

namespace edgert::kernels::ref {

Result<void> inferReshape(const void* params, std::span<const TensorType> inputs,
                          std::span<TensorType> outputs) {
  const auto& p = *static_cast<const ReshapeParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, "Reshape"));
  EDGERT_TRY(validateShape(p.shape, "Reshape"));
  const TensorType& x = inputs[0];
  if (p.shape.numel() != x.shape.numel()) {
    return makeError(Errc::kInvalidArgument,
                     "Reshape: output shape {} has {} elements, input shape {} has {}",
                     formatShape(p.shape), p.shape.numel(), formatShape(x.shape), x.shape.numel());
  }
  // Copy only the rank dims that are used; the unused ones are zero in every output.
  Shape out;
  out.rank = p.shape.rank;
  for (int i = 0; i < out.rank; ++i) out.dims[i] = p.shape.dims[i];
  outputs[0] = TensorType{x.dtype, out};
  return success();
}

void runReshape(const KernelArgs& args) {
  const InTensor& x = args.inputs[0];
  const OutTensor& y = args.outputs[0];
  const std::size_t bytes = y.type.bytes();
  if (y.data == x.data || bytes == 0) return;
  std::memmove(y.data, x.data, bytes);
}

}  // namespace edgert::kernels::ref
