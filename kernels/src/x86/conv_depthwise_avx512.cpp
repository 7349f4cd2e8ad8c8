// Conv, depthwise (group == C == OC, 3x3 or 5x5, strides 1 or 2, any pads), AVX-512 F.
// As the AVX2 variant: each channel plane is copied into scratch, zero-padded, its rows
// rounded up to 16 output columns (conv_variants.hpp, kDepthwiseBlockAvx512), so every tap
// of every output vector is one unaligned load with no bounds check. Output rows are
// computed 32 columns at a time (two accumulators share each weight broadcast), then 16,
// the last one masked. Float32 accumulation; epilogue as in epilogue_avx512.hpp.
#include "../conv_variants.hpp"
#include "epilogue_avx512.hpp"

namespace edgert::kernels::conv::x86 {
namespace {

using Channel = DepthwiseChannel;

template <int kK>
void channel(const Channel& ch, const DepthwisePlane& g, std::int64_t strideH, std::int64_t outH,
             std::int64_t outW, const ActivationParams& act) {
  constexpr int kTaps = kK * kK;
  std::int64_t offset[kTaps];
  __m512 weight[kTaps];
  for (int t = 0; t < kTaps; ++t) {
    offset[t] = depthwiseTapOffset(g, t / kK, t % kK);
    weight[t] = _mm512_set1_ps(ch.w[t]);
  }
  const __m512 bias = _mm512_set1_ps(ch.bias);
  const __mmask16 all = 0xFFFF;
  for (std::int64_t oh = 0; oh < outH; ++oh) {
    const float* row = ch.plane + oh * strideH * g.rowFloats;
    const std::int64_t at = oh * outW;
    const float* res = ch.residual ? ch.residual + at : nullptr;
    float* y = ch.y + at;
    std::int64_t ow = 0;
    for (; ow + 32 <= outW; ow += 32) {
      __m512 a0 = bias;
      __m512 a1 = bias;
      for (int t = 0; t < kTaps; ++t) {
        a0 = _mm512_fmadd_ps(weight[t], _mm512_loadu_ps(row + offset[t] + ow), a0);
        a1 = _mm512_fmadd_ps(weight[t], _mm512_loadu_ps(row + offset[t] + ow + 16), a1);
      }
      avx512::finish(act, a0, res ? res + ow : nullptr, y + ow, all);
      avx512::finish(act, a1, res ? res + ow + 16 : nullptr, y + ow + 16, all);
    }
    for (; ow < outW; ow += 16) {
      __m512 a0 = bias;
      for (int t = 0; t < kTaps; ++t) {
        a0 = _mm512_fmadd_ps(weight[t], _mm512_loadu_ps(row + offset[t] + ow), a0);
      }
      avx512::finish(act, a0, res ? res + ow : nullptr, y + ow, avx512::laneMask(outW - ow));
    }
  }
}

}  // namespace

void runDepthwiseAvx512(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  forEachDepthwiseChannel<kDepthwiseBlockAvx512>(
      args, [&p](const Channel& ch, const DepthwisePlane& g, std::int64_t outH, std::int64_t outW) {
        if (p.kernel[0] == 3) {
          channel<3>(ch, g, p.stride[0], outH, outW, p.activation);
        } else {
          channel<5>(ch, g, p.stride[0], outH, outW, p.activation);
        }
      });
}

}  // namespace edgert::kernels::conv::x86
