// Concat, portable fast variant: the reference's copies (the output is `outer` rows, each
// one row of every input after the other), split over the pool by ranges of output bytes.
// A task finds the first piece of its range by division and copies the parts of the
// pieces that fall inside it.
#include "../elementwise_variants.hpp"

#include <cstring>

namespace edgert::kernels::elementwise {

void runConcatPortable(const KernelArgs& args) {
  const auto& p = *static_cast<const ConcatParams*>(args.params);
  const OutTensor& y = args.outputs[0];
  const Shape& out = y.type.shape;
  const auto elementBytes = static_cast<std::int64_t>(dtypeSize(y.type.dtype));
  std::int64_t outer = 1;
  for (int i = 0; i < p.axis; ++i) outer *= out.dims[i];
  std::int64_t inner = 1;
  for (int i = p.axis + 1; i < out.rank; ++i) inner *= out.dims[i];
  // Each input's row in bytes, and where it starts in an output row (at most 64 inputs).
  std::int64_t rowBytes[64] = {};
  std::int64_t rowStart[64] = {};
  const std::size_t inputs = std::min<std::size_t>(args.inputs.size(), 64);
  std::int64_t outRow = 0;
  for (std::size_t k = 0; k < inputs; ++k) {
    rowStart[k] = outRow;
    rowBytes[k] = args.inputs[k].type.shape.dims[p.axis] * inner * elementBytes;
    outRow += rowBytes[k];
  }
  const std::int64_t total = outer * outRow;
  if (total == 0) return;
  // Work in floats copied, so a task is worth about as much as one of the other kernels'.
  const std::int64_t tasks = taskCount(args.pool, total / 4, std::max<std::int64_t>(1, total / 4096));
  parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
    const std::int64_t begin = total * t / tasks;
    const std::int64_t end = total * (t + 1) / tasks;
    for (std::int64_t o = begin / outRow; o < outer && o * outRow < end; ++o) {
      for (std::size_t k = 0; k < inputs; ++k) {
        const std::int64_t at = o * outRow + rowStart[k];
        const std::int64_t from = std::max(at, begin);
        const std::int64_t to = std::min(at + rowBytes[k], end);
        if (from >= to) continue;
        std::memcpy(y.data + from, args.inputs[k].data + o * rowBytes[k] + (from - at),
                    static_cast<std::size_t>(to - from));
      }
    }
  });
}

}  // namespace edgert::kernels::elementwise
