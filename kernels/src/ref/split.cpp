// Split, reference kernel: X cut along one axis into count outputs of the given sizes, each
// a plain copy of its slab. The first op with several outputs.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <cstring>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Split";

}  // namespace

Result<void> inferSplit(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const SplitParams*>(params);
  if (p.count < 1 || p.count > kMaxSplitOutputs) {
    return makeError(Errc::kCorrupt, "{}: {} outputs, expected 1..{}", kOp, p.count, kMaxSplitOutputs);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, p.count, kOp));
  const TensorType& x = inputs[0];
  if (x.shape.rank == 0) return makeError(Errc::kInvalidArgument, "{}: X is a scalar, it has no axis to split", kOp);
  if (p.axis < 0 || p.axis >= x.shape.rank) {
    return makeError(Errc::kCorrupt, "{}: axis {} is outside 0..{} for X {}", kOp, p.axis, x.shape.rank - 1,
                     formatShape(x.shape));
  }
  std::int64_t total = 0;
  for (std::int32_t i = 0; i < p.count; ++i) {
    const std::int64_t size = p.sizes[i];
    if (size < 0 || size > x.shape.dims[p.axis] - total) {
      return makeError(Errc::kInvalidArgument, "{}: the sizes do not add up to axis {} of X {}", kOp, p.axis,
                       formatShape(x.shape));
    }
    total += size;
  }
  for (std::int32_t i = p.count; i < kMaxSplitOutputs; ++i) {
    if (p.sizes[i] != 0) return makeError(Errc::kCorrupt, "{}: sizes beyond output {} are not zero", kOp, p.count);
  }
  if (total != x.shape.dims[p.axis]) {
    return makeError(Errc::kInvalidArgument, "{}: the sizes add up to {}, axis {} of X {} has {}", kOp, total, p.axis,
                     formatShape(x.shape), x.shape.dims[p.axis]);
  }
  for (std::int32_t i = 0; i < p.count; ++i) {
    outputs[static_cast<std::size_t>(i)] = x;
    outputs[static_cast<std::size_t>(i)].shape.dims[p.axis] = p.sizes[i];
  }
  return success();
}

void runSplit(const KernelArgs& args) {
  const auto& p = *static_cast<const SplitParams*>(args.params);
  const TensorType& x = args.inputs[0].type;
  // X as (outer, dim, inner) elements; output i takes rows [first, first + sizes[i]) of dim.
  std::int64_t outer = 1;
  std::int64_t inner = static_cast<std::int64_t>(dtypeSize(x.dtype));
  for (int i = 0; i < p.axis; ++i) outer *= x.shape.dims[i];
  for (int i = p.axis + 1; i < x.shape.rank; ++i) inner *= x.shape.dims[i];
  const std::int64_t dim = x.shape.dims[p.axis];
  const std::byte* src = args.inputs[0].data;
  std::int64_t first = 0;
  for (std::int32_t i = 0; i < p.count; ++i) {
    const std::int64_t rows = p.sizes[i];
    std::byte* dst = args.outputs[static_cast<std::size_t>(i)].data;
    for (std::int64_t o = 0; o < outer && rows > 0; ++o) {
      std::memcpy(dst + o * rows * inner, src + (o * dim + first) * inner, static_cast<std::size_t>(rows * inner));
    }
    first += rows;
  }
}

}  // namespace edgert::kernels::ref
