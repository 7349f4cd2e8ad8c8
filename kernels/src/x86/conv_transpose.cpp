// ConvTranspose, upsample (stride == kernel, dilation 1, group 1), AVX2 + FMA: the shared
// driver (conv_variants.hpp) splits it into one pointwise product per tap, the 6 x 16
// register tile of gemm_avx2.hpp computes them, the driver scatters them into Y.
#include "gemm_avx2.hpp"

namespace edgert::kernels::conv::x86 {

void runUpsample(const KernelArgs& args) {
  forEachUpsampleTile<kAvx2Gemm>(args, [](const GemmTile& t, const ActivationParams& a) { runGemmTile(t, a); });
}

}  // namespace edgert::kernels::conv::x86
