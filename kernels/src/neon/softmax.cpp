// Softmax and LogSoftmax along the last axis, NEON: softmax_rows.hpp in 4 lanes.
#include "../softmax_rows.hpp"

namespace edgert::kernels::softmax::neon {

void runSoftmax(const KernelArgs& args) { Lanes<4>::run<false>(args); }
void runLogSoftmax(const KernelArgs& args) { Lanes<4>::run<true>(args); }

}  // namespace edgert::kernels::softmax::neon
