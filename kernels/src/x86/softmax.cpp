// Softmax and LogSoftmax along the last axis, AVX2 + FMA: softmax_rows.hpp in 8 lanes.
#include "../softmax_rows.hpp"

namespace edgert::kernels::softmax::x86 {

void runSoftmax(const KernelArgs& args) { Lanes<8>::run<false>(args); }
void runLogSoftmax(const KernelArgs& args) { Lanes<8>::run<true>(args); }

}  // namespace edgert::kernels::softmax::x86
