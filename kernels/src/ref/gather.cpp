// Gather, reference kernel: Y[o, j..., i] = data[o, indices[j...], i] along one axis of
// data, for any element type. An index may be negative (counted from the end); one outside
// [-dim, dim) gives zeros: the loader cannot see indices computed at run time, and a kernel
// never fails.
#include "ref_ops.hpp"

#include "gather_axis.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <cstring>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Gather";

}  // namespace

Result<void> inferGather(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const GatherParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 2, 2, 1, kOp));
  const TensorType& data = inputs[0];
  const TensorType& indices = inputs[1];
  EDGERT_TRY(checkGatherAxis(p, data, indices, kOp));
  if (data.shape.rank - 1 + indices.shape.rank > kMaxRank) {
    return makeError(Errc::kUnsupported, "{}: the output's rank {} exceeds {}", kOp,
                     data.shape.rank - 1 + indices.shape.rank, kMaxRank);
  }
  Shape out;
  for (int i = 0; i < p.axis; ++i) out.dims[out.rank++] = data.shape.dims[i];
  for (int i = 0; i < indices.shape.rank; ++i) out.dims[out.rank++] = indices.shape.dims[i];
  for (int i = p.axis + 1; i < data.shape.rank; ++i) out.dims[out.rank++] = data.shape.dims[i];
  EDGERT_TRY(validateShape(out, kOp));
  outputs[0] = TensorType{data.dtype, out};
  return success();
}

void runGather(const KernelArgs& args) {
  const auto& p = *static_cast<const GatherParams*>(args.params);
  const InTensor& data = args.inputs[0];
  const InTensor& indices = args.inputs[1];
  const Shape& ds = data.type.shape;
  // data as (outer, dim, inner) elements; each index copies one inner row.
  std::int64_t outer = 1;
  std::int64_t inner = static_cast<std::int64_t>(dtypeSize(data.type.dtype));
  for (int i = 0; i < p.axis; ++i) outer *= ds.dims[i];
  for (int i = p.axis + 1; i < ds.rank; ++i) inner *= ds.dims[i];
  const std::int64_t dim = ds.dims[p.axis];
  const std::int64_t count = indices.type.shape.numel();
  std::byte* y = args.outputs[0].data;
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t j = 0; j < count; ++j, y += inner) {
      std::int64_t index = indexAt(indices, j);
      if (index < 0) index += dim;
      if (index < 0 || index >= dim) {
        std::memset(y, 0, static_cast<std::size_t>(inner));
      } else {
        std::memcpy(y, data.data + (o * dim + index) * inner, static_cast<std::size_t>(inner));
      }
    }
  }
}

}  // namespace edgert::kernels::ref
