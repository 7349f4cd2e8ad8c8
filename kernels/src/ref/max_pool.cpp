// MaxPool, reference kernel: the largest input element under each window, padding ignored
// (as if it were -inf). The window, its output size rule (ceil mode, the last-window rule)
// and the shared parameter checks are in pool_window.hpp. A window whose dilated taps all miss
// the input (possible only with dilation > 1) yields -inf.
#include "pool_window.hpp"

#include <limits>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "MaxPool";

// MaxPool has no use for AveragePool's countIncludePad: it must stay 0.
Result<void> checkMaxPoolParams(const PoolParams& p) {
  if (p.countIncludePad != 0) {
    return makeError(Errc::kCorrupt, "{}: countIncludePad is {}, expected 0 (AveragePool only)",
                     kOp, p.countIncludePad);
  }
  return success();
}

}  // namespace

Result<void> inferMaxPool(const void* params, std::span<const TensorType> inputs,
                          std::span<TensorType> outputs) {
  return inferPool(kOp, &checkMaxPoolParams, params, inputs, outputs);
}

void runMaxPool(const KernelArgs& args) {
  poolEachWindow(args, [](const PoolWindow& window) {
    float best = -std::numeric_limits<float>::infinity();
    window.forEachInput([&best](float v) {
      if (v > best) best = v;
    });
    return best;
  });
}

}  // namespace edgert::kernels::ref
