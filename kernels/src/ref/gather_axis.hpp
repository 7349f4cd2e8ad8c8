// What Gather and GatherElements check alike: data not a scalar, the axis within it, and
// integer indices.
#pragma once

#include "edgert/kernels/ops.hpp"
#include "edgert/kernels/shape_check.hpp"

namespace edgert::kernels::ref {

inline Result<void> checkGatherAxis(const GatherParams& p, const TensorType& data, const TensorType& indices,
                                    std::string_view op) {
  if (data.shape.rank == 0) return makeError(Errc::kInvalidArgument, "{}: data is a scalar", op);
  if (p.axis < 0 || p.axis >= data.shape.rank) {
    return makeError(Errc::kCorrupt, "{}: axis {} is outside 0..{} for data {}", op, p.axis, data.shape.rank - 1,
                     formatShape(data.shape));
  }
  if (indices.dtype != DType::kInt64 && indices.dtype != DType::kInt32) {
    return makeError(Errc::kInvalidArgument, "{}: indices are {}, expected int32 or int64", op,
                     dtypeName(indices.dtype));
  }
  return success();
}

// Index i of int32 or int64 indices, widened.
inline std::int64_t indexAt(const InTensor& indices, std::int64_t i) {
  return indices.type.dtype == DType::kInt64 ? indices.as<std::int64_t>()[i] : indices.as<std::int32_t>()[i];
}

}  // namespace edgert::kernels::ref
