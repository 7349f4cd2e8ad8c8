// AveragePool, reference kernel: the mean of the input elements under each window. The
// divisor counts the window's taps inside the input (countIncludePad 0) or inside the padded
// input [-padBegin, in + padEnd) (countIncludePad 1: explicit pads count as zeros, the extra
// room that ceil mode adds past padEnd does not). Dilation is allowed (opset 19). The window,
// its output size rule (ceil mode, the last-window rule) and the shared parameter checks are
// in pool_window.hpp. A window whose dilated taps all miss the input yields NaN with
// countIncludePad 0 (0 / 0). Sums are accumulated in double.
#include "pool_window.hpp"

#include <limits>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "AveragePool";

Result<void> checkAveragePoolParams(const PoolParams& p) {
  if (p.countIncludePad > 1) {
    return makeError(Errc::kCorrupt, "{}: countIncludePad is {}, expected 0 or 1", kOp,
                     p.countIncludePad);
  }
  return success();
}

}  // namespace

Result<void> inferAveragePool(const void* params, std::span<const TensorType> inputs,
                              std::span<TensorType> outputs) {
  return inferPool(kOp, &checkAveragePoolParams, params, inputs, outputs);
}

void runAveragePool(const KernelArgs& args) {
  const bool countPads = static_cast<const PoolParams*>(args.params)->countIncludePad != 0;
  poolEachWindow(args, [countPads](const PoolWindow& window) {
    double sum = 0.0;
    window.forEachInput([&sum](float v) { sum += v; });
    const Taps& countedH = countPads ? window.h.padded : window.h.inside;
    const Taps& countedW = countPads ? window.w.padded : window.w.inside;
    const std::int64_t count = countedH.count() * countedW.count();
    return count == 0 ? std::numeric_limits<float>::quiet_NaN()
                      : static_cast<float>(sum / static_cast<double>(count));
  });
}

}  // namespace edgert::kernels::ref
