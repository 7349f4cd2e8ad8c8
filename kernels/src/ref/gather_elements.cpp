// GatherElements, reference kernel: Y has the shape of indices, and Y[..., j, ...] =
// data[..., indices[..., j, ...], ...] along one axis (the other coordinates the same), for
// any element type. Negative indices count from the end; one outside [-dim, dim) gives 0.
#include "ref_ops.hpp"

#include "gather_axis.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <cstring>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "GatherElements";

}  // namespace

Result<void> inferGatherElements(const void* params, std::span<const TensorType> inputs,
                                 std::span<TensorType> outputs) {
  const auto& p = *static_cast<const GatherParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 2, 2, 1, kOp));
  const TensorType& data = inputs[0];
  const TensorType& indices = inputs[1];
  EDGERT_TRY(checkGatherAxis(p, data, indices, kOp));
  // ONNX: indices have data's rank, and every dim but the axis no larger than data's.
  bool fits = indices.shape.rank == data.shape.rank;
  for (int i = 0; fits && i < data.shape.rank; ++i) {
    fits = i == p.axis || indices.shape.dims[i] <= data.shape.dims[i];
  }
  if (!fits) {
    return makeError(Errc::kInvalidArgument, "{}: indices {} do not fit data {} off axis {}", kOp,
                     formatShape(indices.shape), formatShape(data.shape), p.axis);
  }
  outputs[0] = TensorType{data.dtype, indices.shape};
  return success();
}

void runGatherElements(const KernelArgs& args) {
  const auto& p = *static_cast<const GatherParams*>(args.params);
  const InTensor& data = args.inputs[0];
  const InTensor& indices = args.inputs[1];
  const Shape& ds = data.type.shape;
  const Shape& is = indices.type.shape;
  const std::size_t element = dtypeSize(data.type.dtype);
  std::int64_t dataStride[kMaxRank] = {};
  std::int64_t stride = 1;
  for (int d = ds.rank - 1; d >= 0; --d) {
    dataStride[d] = stride;
    stride *= ds.dims[d];
  }
  const std::int64_t n = is.numel();
  const std::int64_t dim = ds.dims[p.axis];
  std::int64_t coord[kMaxRank] = {};
  std::int64_t base = 0;  // data offset of the current coordinate, the axis coordinate left out
  std::byte* y = args.outputs[0].data;
  for (std::int64_t i = 0; i < n; ++i, y += element) {
    std::int64_t index = indexAt(indices, i);
    if (index < 0) index += dim;
    if (index < 0 || index >= dim) {
      std::memset(y, 0, element);
    } else {
      std::memcpy(y, data.data + static_cast<std::size_t>(base + index * dataStride[p.axis]) * element, element);
    }
    for (int d = is.rank - 1; d >= 0; --d) {
      const std::int64_t step = d == p.axis ? 0 : dataStride[d];
      if (++coord[d] < is.dims[d]) {
        base += step;
        break;
      }
      base -= step * (is.dims[d] - 1);
      coord[d] = 0;
    }
  }
}

}  // namespace edgert::kernels::ref
