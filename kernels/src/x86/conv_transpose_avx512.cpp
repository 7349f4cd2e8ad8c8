// ConvTranspose, upsample (stride == kernel, dilation 1, group 1), AVX-512: the shared
// driver (conv_variants.hpp) splits it into one pointwise product per tap, the 12 x 32
// register tile of gemm_avx512.hpp computes them, the driver scatters them into Y.
#include "gemm_avx512.hpp"

namespace edgert::kernels::conv::x86 {

void runUpsampleAvx512(const KernelArgs& args) {
  forEachUpsampleTile<kAvx512Gemm>(args,
                                   [](const GemmTile& t, const ActivationParams& a) { avx512::runGemmTile(t, a); });
}

}  // namespace edgert::kernels::conv::x86
