// TopK, reference kernel: along one axis, the k largest (or smallest) elements in order,
// and their int64 indices; equal values keep index order, NaN counts as larger than any
// number (as numpy's sort puts it last). float32, int32 and int64. The scratch holds one
// lane's indices.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "TopK";

template <typename T>
bool greater(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
  }
  return a > b;
}

template <typename T>
void topK(const KernelArgs& args, std::int64_t* order) {
  const auto& p = *static_cast<const TopKParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (int i = 0; i < p.axis; ++i) outer *= s.dims[i];
  for (int i = p.axis + 1; i < s.rank; ++i) inner *= s.dims[i];
  const std::int64_t dim = s.dims[p.axis];
  const T* x = args.inputs[0].as<T>();
  T* values = args.outputs[0].as<T>();
  auto* indices = args.outputs[1].as<std::int64_t>();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t in = 0; in < inner; ++in) {
      const T* lane = x + o * dim * inner + in;
      for (std::int64_t i = 0; i < dim; ++i) order[i] = i;
      auto before = [&](std::int64_t a, std::int64_t b) {
        const T va = lane[a * inner];
        const T vb = lane[b * inner];
        if (p.largest != 0 ? greater(va, vb) : greater(vb, va)) return true;
        if (p.largest != 0 ? greater(vb, va) : greater(va, vb)) return false;
        return a < b;
      };
      std::partial_sort(order, order + p.k, order + dim, before);
      for (std::int64_t j = 0; j < p.k; ++j) {
        const std::int64_t at = (o * p.k + j) * inner + in;
        values[at] = lane[order[j] * inner];
        indices[at] = order[j];
      }
    }
  }
}

}  // namespace

Result<void> inferTopK(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const TopKParams*>(params);
  if (p.largest > 1) return makeError(Errc::kCorrupt, "{}: largest is {}, expected 0 or 1", kOp, p.largest);
  if (p.reserved[0] != 0 || p.reserved[1] != 0 || p.reserved[2] != 0) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 2, kOp));
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kInt32 && x.dtype != DType::kInt64) {
    return makeError(Errc::kUnsupported, "{}: X is {}, expected float32, int32 or int64", kOp, dtypeName(x.dtype));
  }
  if (p.axis < 0 || p.axis >= x.shape.rank) {
    return makeError(Errc::kCorrupt, "{}: axis {} is outside 0..{} for X {}", kOp, p.axis, x.shape.rank - 1,
                     formatShape(x.shape));
  }
  if (p.k < 0 || p.k > x.shape.dims[p.axis]) {
    return makeError(Errc::kInvalidArgument, "{}: k {} is outside 0..{} (axis {} of X {})", kOp, p.k,
                     x.shape.dims[p.axis], p.axis, formatShape(x.shape));
  }
  outputs[0] = x;
  outputs[0].shape.dims[p.axis] = p.k;
  outputs[1] = TensorType{DType::kInt64, outputs[0].shape};
  return success();
}

std::uint64_t topKScratch(const void* params, std::span<const TensorType> inputs, std::span<const TensorType>) {
  const auto& p = *static_cast<const TopKParams*>(params);
  return static_cast<std::uint64_t>(inputs[0].shape.dims[p.axis]) * sizeof(std::int64_t);
}

void runTopK(const KernelArgs& args) {
  auto* order = reinterpret_cast<std::int64_t*>(args.scratch.data());
  switch (args.inputs[0].type.dtype) {
    case DType::kFloat32: topK<float>(args, order); break;
    case DType::kInt32: topK<std::int32_t>(args, order); break;
    case DType::kInt64: topK<std::int64_t>(args, order); break;
    default: break;  // infer accepts no other type
  }
}

}  // namespace edgert::kernels::ref
