// Softmax and LogSoftmax along the last axis, AVX-512: softmax_rows.hpp in 16 lanes.
#include "../softmax_rows.hpp"

namespace edgert::kernels::softmax::x86 {

void runSoftmaxAvx512(const KernelArgs& args) { Lanes<16>::run<false>(args); }
void runLogSoftmaxAvx512(const KernelArgs& args) { Lanes<16>::run<true>(args); }

}  // namespace edgert::kernels::softmax::x86
