// Where the fast non-Conv variants apply, and the Binary row plan (elementwise_variants.hpp).
#include "elementwise_variants.hpp"
#include "softmax_rows.hpp"

namespace edgert::kernels::elementwise {

BinaryPlan planBinary(const Shape& a, const Shape& b, const Shape& y) {
  BinaryPlan plan;
  if (y.numel() == 0) return plan;
  // Right-aligned element strides of each operand, 0 where it is broadcast.
  std::int64_t sa[kMaxRank] = {};
  std::int64_t sb[kMaxRank] = {};
  std::int64_t stepA = 1;
  std::int64_t stepB = 1;
  for (int d = y.rank - 1; d >= 0; --d) {
    const int da = d - (y.rank - a.rank);
    const int db = d - (y.rank - b.rank);
    const std::int64_t dimA = da >= 0 ? a.dims[da] : 1;
    const std::int64_t dimB = db >= 0 ? b.dims[db] : 1;
    sa[d] = dimA == 1 ? 0 : stepA;
    sb[d] = dimB == 1 ? 0 : stepB;
    stepA *= dimA;
    stepB *= dimB;
  }
  // Innermost first: drop axes of size 1, merge an axis into the one inside it when both
  // operands step across it as if the two were one axis.
  std::int64_t dims[kMaxRank] = {};
  std::int64_t ga[kMaxRank] = {};
  std::int64_t gb[kMaxRank] = {};
  int count = 0;
  for (int d = y.rank - 1; d >= 0; --d) {
    if (y.dims[d] == 1) continue;
    if (count > 0) {
      const int g = count - 1;
      if (sa[d] == ga[g] * dims[g] && sb[d] == gb[g] * dims[g]) {
        dims[g] *= y.dims[d];
        continue;
      }
    }
    dims[count] = y.dims[d];
    ga[count] = sa[d];
    gb[count] = sb[d];
    ++count;
  }
  if (count == 0) {  // one element
    plan.rank = 1;
    plan.dims[0] = 1;
    plan.kind = RowKind::kBoth;
    return plan;
  }
  plan.rank = count;
  for (int i = 0; i < count; ++i) {
    plan.dims[i] = dims[count - 1 - i];
    plan.strideA[i] = ga[count - 1 - i];
    plan.strideB[i] = gb[count - 1 - i];
  }
  // Along the innermost kept axis an operand steps by 1 or is broadcast (0); not both 0,
  // since the axis has more than one element.
  const std::int64_t innerA = plan.strideA[count - 1];
  const std::int64_t innerB = plan.strideB[count - 1];
  plan.kind = innerA == 0 ? RowKind::kRepeatA : innerB == 0 ? RowKind::kRepeatB : RowKind::kBoth;
  return plan;
}

bool binaryApplies(const void* params, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs) {
  // The row loops compute Add, Sub, Mul and Div (binary_rows.hpp).
  const BinaryOp op = static_cast<const BinaryParams*>(params)->op;
  return op <= BinaryOp::kDiv && inputs.size() == 2 && outputs.size() == 1 &&
         outputs[0].dtype == DType::kFloat32;
}

bool maxPoolApplies(const void* params, std::span<const TensorType> inputs,
                    std::span<const TensorType>) {
  const auto& p = *static_cast<const PoolParams*>(params);
  return p.spatialRank == 2 && inputs.size() == 1 && inputs[0].shape.rank == 4;
}

bool resizeNearestApplies(const void* params, std::span<const TensorType>,
                          std::span<const TensorType>) {
  return static_cast<const ResizeParams*>(params)->mode == ResizeMode::kNearest;
}

std::uint64_t resizeNearestScratch(const void*, std::span<const TensorType>,
                                   std::span<const TensorType> outputs) {
  std::uint64_t entries = 0;
  const Shape& y = outputs[0].shape;
  for (int i = 0; i < y.rank; ++i) entries += static_cast<std::uint64_t>(y.dims[i]);
  return entries * sizeof(std::int64_t);
}

}  // namespace edgert::kernels::elementwise

namespace edgert::kernels::softmax {

bool lastAxisApplies(const void* params, std::span<const TensorType> inputs, std::span<const TensorType>) {
  return static_cast<const SoftmaxParams*>(params)->axis == inputs[0].shape.rank - 1;
}

}  // namespace edgert::kernels::softmax
