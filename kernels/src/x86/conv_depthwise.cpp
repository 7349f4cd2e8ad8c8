// Conv, depthwise (group == C == OC, 3x3 or 5x5, strides 1 or 2, any pads), AVX2 + FMA.
// Each channel plane is first copied into scratch, zero-padded (conv_variants.hpp), so
// every tap of every output vector is one unaligned load with no bounds check; a column
// stride of 2 reads the even/odd phases of the copy. Output rows are computed 16 columns
// at a time (two accumulators share each weight broadcast), then 8, the last one masked.
// Float32 accumulation; epilogue as in epilogue_avx2.hpp.
#include "../conv_variants.hpp"
#include "epilogue_avx2.hpp"

namespace edgert::kernels::conv::x86 {
namespace {

using Channel = DepthwiseChannel;

template <int kK>
void channel(const Channel& ch, const DepthwisePlane& g, std::int64_t strideH, std::int64_t outH,
             std::int64_t outW, const ActivationParams& act) {
  constexpr int kTaps = kK * kK;
  std::int64_t offset[kTaps];
  __m256 weight[kTaps];
  for (int t = 0; t < kTaps; ++t) {
    offset[t] = depthwiseTapOffset(g, t / kK, t % kK);
    weight[t] = _mm256_set1_ps(ch.w[t]);
  }
  const __m256 bias = _mm256_set1_ps(ch.bias);
  const __m256i noMask = _mm256_set1_epi32(-1);
  for (std::int64_t oh = 0; oh < outH; ++oh) {
    const float* row = ch.plane + oh * strideH * g.rowFloats;
    const std::int64_t at = oh * outW;
    const float* res = ch.residual ? ch.residual + at : nullptr;
    float* y = ch.y + at;
    std::int64_t ow = 0;
    for (; ow + 16 <= outW; ow += 16) {
      __m256 a0 = bias;
      __m256 a1 = bias;
      for (int t = 0; t < kTaps; ++t) {
        a0 = _mm256_fmadd_ps(weight[t], _mm256_loadu_ps(row + offset[t] + ow), a0);
        a1 = _mm256_fmadd_ps(weight[t], _mm256_loadu_ps(row + offset[t] + ow + 8), a1);
      }
      finish<false>(act, a0, res ? res + ow : nullptr, y + ow, noMask);
      finish<false>(act, a1, res ? res + ow + 8 : nullptr, y + ow + 8, noMask);
    }
    for (; ow < outW; ow += 8) {
      __m256 a0 = bias;
      for (int t = 0; t < kTaps; ++t) {
        a0 = _mm256_fmadd_ps(weight[t], _mm256_loadu_ps(row + offset[t] + ow), a0);
      }
      if (ow + 8 <= outW) {
        finish<false>(act, a0, res ? res + ow : nullptr, y + ow, noMask);
      } else {
        finish<true>(act, a0, res ? res + ow : nullptr, y + ow, laneMask(outW - ow));
      }
    }
  }
}

// The channel loops for the conv `p` (3x3 or 5x5), for both drivers.
auto channelLoops(const ConvParams& p) {
  return [&p](const Channel& ch, const DepthwisePlane& g, std::int64_t outH, std::int64_t outW) {
    if (p.kernel[0] == 3) {
      channel<3>(ch, g, p.stride[0], outH, outW, p.activation);
    } else {
      channel<5>(ch, g, p.stride[0], outH, outW, p.activation);
    }
  };
}

}  // namespace

void runDepthwise(const KernelArgs& args) {
  forEachDepthwiseChannel(args, channelLoops(*static_cast<const ConvParams*>(args.params)));
}

void runDepthwisePointwise(const KernelArgs& args) {
  forEachDepthwisePointwiseChannel<kDepthwiseBlock>(
      args, channelLoops(static_cast<const DepthwisePointwiseParams*>(args.params)->depthwise), pointwiseRows);
}

}  // namespace edgert::kernels::conv::x86
