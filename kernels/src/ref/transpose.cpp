// Transpose (ONNX Transpose): output dim i is input dim perm[i]. The compiler turns ONNX's
// default (reversed dims) into an explicit perm. Any dtype: elements are copied as bytes.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace edgert::kernels::ref {
namespace {

// "0,2,2" for error messages.
std::string formatPerm(const TransposeParams& p) {
  std::string s;
  for (int i = 0; i < p.rank; ++i) {
    if (i) s += ',';
    s += fmt::format("{}", p.perm[i]);
  }
  return s;
}

}  // namespace

Result<void> inferTranspose(const void* params, std::span<const TensorType> inputs,
                            std::span<TensorType> outputs) {
  const auto& p = *static_cast<const TransposeParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, "Transpose"));
  const TensorType& x = inputs[0];
  if (p.rank != x.shape.rank) {
    return makeError(Errc::kInvalidArgument,
                     "Transpose: perm has {} entries, input shape {} has rank {}", p.rank,
                     formatShape(x.shape), x.shape.rank);
  }
  bool seen[kMaxRank] = {};
  for (int i = 0; i < p.rank; ++i) {
    const std::int32_t axis = p.perm[i];
    if (axis < 0 || axis >= p.rank || seen[axis]) {
      return makeError(Errc::kCorrupt, "Transpose: perm {} is not a permutation of 0..{}",
                       formatPerm(p), p.rank - 1);
    }
    seen[axis] = true;
  }
  Shape out;
  out.rank = x.shape.rank;
  for (int i = 0; i < out.rank; ++i) out.dims[i] = x.shape.dims[p.perm[i]];
  outputs[0] = TensorType{x.dtype, out};
  return success();
}

void runTranspose(const KernelArgs& args) {
  const auto& p = *static_cast<const TransposeParams*>(args.params);
  const InTensor& x = args.inputs[0];
  const OutTensor& y = args.outputs[0];
  const Shape& in = x.type.shape;
  const Shape& out = y.type.shape;
  const std::size_t elementBytes = dtypeSize(y.type.dtype);

  std::int64_t inStrides[kMaxRank] = {};
  std::int64_t stride = 1;
  for (int i = in.rank - 1; i >= 0; --i) {
    inStrides[i] = stride;
    stride *= in.dims[i];
  }

  const std::int64_t n = out.numel();
  for (std::int64_t i = 0; i < n; ++i) {
    // Output coordinate c[d] is the input coordinate along axis perm[d].
    std::int64_t rest = i;
    std::int64_t src = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      src += (rest % out.dims[d]) * inStrides[p.perm[d]];
      rest /= out.dims[d];
    }
    std::memcpy(y.data + static_cast<std::size_t>(i) * elementBytes,
                x.data + static_cast<std::size_t>(src) * elementBytes, elementBytes);
  }
}

}  // namespace edgert::kernels::ref
