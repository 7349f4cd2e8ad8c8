// Transpose, portable fast variant. Output axes that read consecutive input memory are
// merged (NHWC -> NCHW becomes C rows of H * W), size-1 axes dropped, and each output row
// is a strided gather (a memcpy when it reads contiguous input) with the source offset
// advanced by counters: no division per element as in the reference.
#include "../elementwise_variants.hpp"

#include <cstring>

namespace edgert::kernels::elementwise {
namespace {

struct TransposePlan {
  int rank = 0;  // 0: empty output
  std::int64_t dims[kMaxRank] = {};
  std::int64_t stride[kMaxRank] = {};  // input element stride per output axis
};

TransposePlan planTranspose(const TransposeParams& p, const Shape& in, const Shape& out) {
  TransposePlan plan;
  if (out.numel() == 0) return plan;
  std::int64_t inStride[kMaxRank] = {};
  std::int64_t step = 1;
  for (int i = in.rank - 1; i >= 0; --i) {
    inStride[i] = step;
    step *= in.dims[i];
  }
  std::int64_t dims[kMaxRank] = {};
  std::int64_t strides[kMaxRank] = {};
  int count = 0;  // innermost first
  for (int d = out.rank - 1; d >= 0; --d) {
    if (out.dims[d] == 1) continue;
    const std::int64_t s = inStride[p.perm[d]];
    if (count > 0 && s == strides[count - 1] * dims[count - 1]) {
      dims[count - 1] *= out.dims[d];
      continue;
    }
    dims[count] = out.dims[d];
    strides[count] = s;
    ++count;
  }
  if (count == 0) {  // one element
    plan.rank = 1;
    plan.dims[0] = 1;
    plan.stride[0] = 1;
    return plan;
  }
  plan.rank = count;
  for (int i = 0; i < count; ++i) {
    plan.dims[i] = dims[count - 1 - i];
    plan.stride[i] = strides[count - 1 - i];
  }
  return plan;
}

// Output elements [begin, end): the first row's source offset found by division once, the
// following ones by counters.
template <typename T>
void gather(const TransposePlan& plan, const std::byte* x, std::byte* y, std::int64_t begin, std::int64_t end) {
  const int outer = plan.rank - 1;
  const std::int64_t n = plan.dims[outer];
  const std::int64_t s = plan.stride[outer];
  std::int64_t index[kMaxRank] = {};
  std::int64_t src = 0;
  std::int64_t rest = begin / n;
  for (int d = outer - 1; d >= 0; --d) {
    index[d] = rest % plan.dims[d];
    rest /= plan.dims[d];
    src += index[d] * plan.stride[d];
  }
  // memcpy through bytes: the arena gives no alignment guarantee for T.
  for (std::int64_t e = begin, column = begin % n; e < end; column = 0) {
    const std::int64_t count = std::min(n - column, end - e);
    std::byte* dst = y + static_cast<std::size_t>(e) * sizeof(T);
    const std::byte* from = x + static_cast<std::size_t>(src + column * s) * sizeof(T);
    if (s == 1) {
      std::memcpy(dst, from, static_cast<std::size_t>(count) * sizeof(T));
    } else {
      for (std::int64_t i = 0; i < count; ++i) {
        std::memcpy(dst + static_cast<std::size_t>(i) * sizeof(T),
                    from + static_cast<std::size_t>(i * s) * sizeof(T), sizeof(T));
      }
    }
    e += count;
    for (int d = outer - 1; d >= 0; --d) {
      src += plan.stride[d];
      if (++index[d] < plan.dims[d]) break;
      src -= plan.stride[d] * plan.dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void runTransposePortable(const KernelArgs& args) {
  const auto& p = *static_cast<const TransposeParams*>(args.params);
  const InTensor& x = args.inputs[0];
  const OutTensor& y = args.outputs[0];
  const TransposePlan plan = planTranspose(p, x.type.shape, y.type.shape);
  if (plan.rank == 0) return;
  std::int64_t total = 1;
  for (int d = 0; d < plan.rank; ++d) total *= plan.dims[d];
  const std::int64_t tasks = taskCount(args.pool, total, std::max<std::int64_t>(1, total / 256));
  parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
    const std::int64_t begin = splitBegin(total, tasks, t);
    const std::int64_t end = splitBegin(total, tasks, t + 1);
    switch (dtypeSize(y.type.dtype)) {
      case 1: gather<std::uint8_t>(plan, x.data, y.data, begin, end); break;
      case 2: gather<std::uint16_t>(plan, x.data, y.data, begin, end); break;
      case 4: gather<std::uint32_t>(plan, x.data, y.data, begin, end); break;
      case 8: gather<std::uint64_t>(plan, x.data, y.data, begin, end); break;
      default: break;  // no other element size exists
    }
  });
}

}  // namespace edgert::kernels::elementwise
