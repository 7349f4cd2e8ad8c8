// Conv, general (any kernel, stride, dilation, pads; group 1 or groups of several output
// channels), AVX2 + FMA: the shared driver (conv_variants.hpp) builds the columns of each
// strip of output pixels and the weight panels, the 6 x 16 register tile of gemm_avx2.hpp
// multiplies them.
#include "gemm_avx2.hpp"

namespace edgert::kernels::conv::x86 {

void runGeneral(const KernelArgs& args) {
  const ActivationParams& act = static_cast<const ConvParams*>(args.params)->activation;
  forEachGemmTile<kAvx2Gemm>(args, [&act](const GemmTile& t) { runGemmTile(t, act); });
}

}  // namespace edgert::kernels::conv::x86
