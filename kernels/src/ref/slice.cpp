// Slice (ONNX Slice) with the compiler's normalized parameters: along axis i, output
// element j is input element start[i] + j * step[i]. Steps may be negative. Any dtype.
//
// The loader may hand inferSlice garbage, so it proves that every index the kernel reads
// lies inside the input: for each axis with count > 0, both the first index (start) and
// the last (start + (count - 1) * step) lie in [0, dim), computed without overflow. The
// indices between them lie between those two.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstring>

namespace edgert::kernels::ref {

Result<void> inferSlice(const void* params, std::span<const TensorType> inputs,
                        std::span<TensorType> outputs) {
  const auto& p = *static_cast<const SliceParams*>(params);
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, "Slice"));
  const TensorType& x = inputs[0];
  if (p.rank != x.shape.rank) {
    return makeError(Errc::kInvalidArgument, "Slice: params have rank {}, input shape {} has {}",
                     p.rank, formatShape(x.shape), x.shape.rank);
  }
  if (p.reserved != 0) {
    return makeError(Errc::kCorrupt, "Slice: reserved parameter is {}, expected 0", p.reserved);
  }
  Shape out;
  out.rank = p.rank;
  for (int i = 0; i < p.rank; ++i) {
    const std::int64_t dim = x.shape.dims[i];
    const std::int64_t start = p.start[i];
    const std::int64_t step = p.step[i];
    const std::int64_t count = p.count[i];
    if (step == 0) return makeError(Errc::kCorrupt, "Slice: axis {} has step 0", i);
    if (count < 0 || count > dim) {
      return makeError(Errc::kCorrupt, "Slice: axis {} takes {} elements of a dimension of {}", i,
                       count, dim);
    }
    if (count > 0) {
      std::int64_t span = 0;
      std::int64_t last = 0;
      const bool overflow = __builtin_mul_overflow(count - 1, step, &span) ||
                            __builtin_add_overflow(start, span, &last);
      if (start < 0 || start >= dim || overflow || last < 0 || last >= dim) {
        return makeError(Errc::kCorrupt,
                         "Slice: axis {} (start {}, step {}, count {}) reads outside 0..{}", i,
                         start, step, count, dim - 1);
      }
    }
    out.dims[i] = count;
  }
  outputs[0] = TensorType{x.dtype, out};
  return success();
}

void runSlice(const KernelArgs& args) {
  const auto& p = *static_cast<const SliceParams*>(args.params);
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
    std::int64_t rest = i;
    std::int64_t src = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t j = rest % out.dims[d];
      rest /= out.dims[d];
      src += (p.start[d] + j * p.step[d]) * inStrides[d];
    }
    std::memcpy(y.data + static_cast<std::size_t>(i) * elementBytes,
                x.data + static_cast<std::size_t>(src) * elementBytes, elementBytes);
  }
}

}  // namespace edgert::kernels::ref
