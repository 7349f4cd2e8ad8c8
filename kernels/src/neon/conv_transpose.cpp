// ConvTranspose, upsample (stride == kernel, dilation 1, group 1), NEON: the shared driver
// (conv_variants.hpp) splits it into one pointwise product per tap, the 8 x 12 register
// tile of gemm_neon.hpp computes them, the driver scatters them into Y.
#include "gemm_neon.hpp"

namespace edgert::kernels::conv::neon {

void runUpsample(const KernelArgs& args) {
  forEachUpsampleTile<kNeonGemm>(args, [](const GemmTile& t, const ActivationParams& a) { runGemmTile(t, a); });
}

}  // namespace edgert::kernels::conv::neon
