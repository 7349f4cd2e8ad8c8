// Conv, general (any kernel, stride, dilation, pads; group 1 or groups of several output
// channels), NEON: the shared driver (conv_variants.hpp) builds the columns of each strip
// of output pixels and the weight panels, the 8 x 12 register tile of gemm_neon.hpp
// multiplies them.
#include "gemm_neon.hpp"

namespace edgert::kernels::conv::neon {

void runGeneral(const KernelArgs& args) {
  const ActivationParams& act = static_cast<const ConvParams*>(args.params)->activation;
  forEachGemmTile<kNeonGemm>(args, [&act](const GemmTile& t) { runGemmTile(t, act); });
}

}  // namespace edgert::kernels::conv::neon
