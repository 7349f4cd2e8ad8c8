// Where, reference kernel: Z[i] = condition[i] ? X[i] : Y[i] under numpy broadcasting of
// the three inputs. condition is bool; X and Y share any element type.
#include "ref_ops.hpp"

#include "broadcast.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Where";

// Elements are moved as unsigned integers of their size: Where never looks at them.
template <typename T>
void select(const KernelArgs& args) {
  const auto* c = args.inputs[0].as<std::uint8_t>();
  const T* x = args.inputs[1].as<T>();
  const T* y = args.inputs[2].as<T>();
  T* z = args.outputs[0].as<T>();
  forEachBroadcast<3>({&args.inputs[0].type.shape, &args.inputs[1].type.shape, &args.inputs[2].type.shape},
                      args.outputs[0].type.shape,
                      [&](std::int64_t i, const auto& off) { z[i] = c[off[0]] != 0 ? x[off[1]] : y[off[2]]; });
}

}  // namespace

Result<void> inferWhere(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  if (static_cast<const WhereParams*>(params)->reserved != 0) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 3, 3, 1, kOp));
  if (inputs[0].dtype != DType::kBool) {
    return makeError(Errc::kInvalidArgument, "{}: the condition is {}, expected bool", kOp, dtypeName(inputs[0].dtype));
  }
  if (inputs[1].dtype != inputs[2].dtype) {
    return makeError(Errc::kInvalidArgument, "{}: X is {} and Y is {}, expected one type", kOp,
                     dtypeName(inputs[1].dtype), dtypeName(inputs[2].dtype));
  }
  EDGERT_ASSIGN_OR_RETURN(const Shape xy, broadcastShapes(inputs[1].shape, inputs[2].shape, kOp));
  EDGERT_ASSIGN_OR_RETURN(const Shape shape, broadcastShapes(inputs[0].shape, xy, kOp));
  EDGERT_TRY(validateShape(shape, kOp));
  outputs[0] = TensorType{inputs[1].dtype, shape};
  return success();
}

void runWhere(const KernelArgs& args) {
  switch (dtypeSize(args.inputs[1].type.dtype)) {
    case 1: select<std::uint8_t>(args); break;
    case 4: select<std::uint32_t>(args); break;
    case 8: select<std::uint64_t>(args); break;
    default: break;  // no other element size exists
  }
}

}  // namespace edgert::kernels::ref
