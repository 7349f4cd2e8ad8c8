// Conv, general (any kernel, stride, dilation, pads; group 1 or groups of several output
// channels), AVX-512: the shared driver (conv_variants.hpp) builds the columns of each
// strip of output pixels and the weight panels, the 12 x 32 register tile of
// gemm_avx512.hpp multiplies them.
#include "gemm_avx512.hpp"

namespace edgert::kernels::conv::x86 {

void runGeneralAvx512(const KernelArgs& args) {
  const ActivationParams& act = static_cast<const ConvParams*>(args.params)->activation;
  forEachGemmTile<kAvx512Gemm>(args, [&act](const GemmTile& t) { avx512::runGemmTile(t, act); });
}

}  // namespace edgert::kernels::conv::x86
