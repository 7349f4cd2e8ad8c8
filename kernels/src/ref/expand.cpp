// Expand, reference kernel: X broadcast (numpy rules) to the shape in the parameters, for
// any element type. The compiler computes that shape from ONNX's shape operand and X's
// shape (it may be larger than the operand, as ONNX says).
#include "ref_ops.hpp"

#include "broadcast.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <cstring>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Expand";

template <typename T>
void expand(const KernelArgs& args) {
  const T* x = args.inputs[0].as<T>();
  T* y = args.outputs[0].as<T>();
  forEachBroadcast<1>({&args.inputs[0].type.shape}, args.outputs[0].type.shape,
                      [&](std::int64_t i, const auto& off) { y[i] = x[off[0]]; });
}

}  // namespace

Result<void> inferExpand(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const ExpandParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  EDGERT_TRY(validateShape(p.shape, kOp));
  const TensorType& x = inputs[0];
  EDGERT_ASSIGN_OR_RETURN(const Shape shape, broadcastShapes(x.shape, p.shape, kOp));
  if (!(shape == p.shape)) {
    return makeError(Errc::kInvalidArgument, "{}: X {} does not broadcast to {}", kOp, formatShape(x.shape),
                     formatShape(p.shape));
  }
  outputs[0] = TensorType{x.dtype, shape};
  return success();
}

void runExpand(const KernelArgs& args) {
  switch (dtypeSize(args.inputs[0].type.dtype)) {
    case 1: expand<std::uint8_t>(args); break;
    case 4: expand<std::uint32_t>(args); break;
    case 8: expand<std::uint64_t>(args); break;
    default: break;  // no other element size exists
  }
}

}  // namespace edgert::kernels::ref
