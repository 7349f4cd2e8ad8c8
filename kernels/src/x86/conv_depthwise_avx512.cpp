// Conv, depthwise (group == C == OC, 3x3 or 5x5, strides 1 or 2, any pads), AVX-512 F.
// As the AVX2 variant, each channel plane is first copied into scratch, zero-padded, its
// rows rounded up to 16 output columns (conv_variants.hpp, kDepthwiseBlockAvx512), so every
// input vector is one unaligned load with no bounds check; a column stride of 2 reads the
// even/odd phases of the copy. Unlike it, four output rows are computed together, one
// 16-column vector each: every input vector loaded feeds each of the up to four output
// rows whose window holds its row (a 5x5 kernel: 40 loads for 100 FMAs, not 100; the
// unaligned 64-byte loads, which mostly cross two cache lines, were the limit). The weights
// stay in registers (25 + 4 accumulators + 1 input: 30 of 32). The last vector of a row is
// masked. Float32 accumulation, each output summed in tap order as the AVX2 variant does;
// epilogue as in epilogue_avx512.hpp.
#include "../conv_variants.hpp"
#include "epilogue_avx512.hpp"

namespace edgert::kernels::conv::x86 {
namespace {

using Channel = DepthwiseChannel;

inline constexpr int kRowBlock = 4;  // output rows per pass

// Output rows [oh, oh + kR) of one channel, all columns. kS: the row stride.
template <int kK, int kS, int kR>
void rows(const Channel& ch, const DepthwisePlane& g, const __m512 (&weight)[kK * kK],
          const std::int64_t (&column)[kK], std::int64_t oh, std::int64_t outW, const ActivationParams& act) {
  constexpr int kInputRows = (kR - 1) * kS + kK;
  const __m512 bias = _mm512_set1_ps(ch.bias);
  const float* top = ch.plane + oh * kS * g.rowFloats;
  for (std::int64_t ow = 0; ow < outW; ow += 16) {
    __m512 acc[kR];
#pragma GCC unroll 4
    for (int r = 0; r < kR; ++r) acc[r] = bias;
#pragma GCC unroll 13
    for (int i = 0; i < kInputRows; ++i) {
      const float* in = top + i * g.rowFloats + ow;
#pragma GCC unroll 5
      for (int kw = 0; kw < kK; ++kw) {
        const __m512 v = _mm512_loadu_ps(in + column[kw]);
#pragma GCC unroll 4
        for (int r = 0; r < kR; ++r) {
          const int kh = i - r * kS;
          if (kh >= 0 && kh < kK) acc[r] = _mm512_fmadd_ps(weight[kh * kK + kw], v, acc[r]);
        }
      }
    }
    const __mmask16 mask = avx512::laneMask(outW - ow);
#pragma GCC unroll 4
    for (int r = 0; r < kR; ++r) {
      const std::int64_t at = (oh + r) * outW + ow;
      avx512::finish(act, acc[r], ch.residual ? ch.residual + at : nullptr, ch.y + at, mask);
    }
  }
}

template <int kK, int kS>
void channel(const Channel& ch, const DepthwisePlane& g, std::int64_t outH, std::int64_t outW,
             const ActivationParams& act) {
  __m512 weight[kK * kK];
  for (int t = 0; t < kK * kK; ++t) weight[t] = _mm512_set1_ps(ch.w[t]);
  std::int64_t column[kK];
  for (int kw = 0; kw < kK; ++kw) column[kw] = depthwiseTapOffset(g, 0, kw);
  std::int64_t oh = 0;
  for (; oh + kRowBlock <= outH; oh += kRowBlock) rows<kK, kS, kRowBlock>(ch, g, weight, column, oh, outW, act);
  switch (outH - oh) {
    case 3: rows<kK, kS, 3>(ch, g, weight, column, oh, outW, act); break;
    case 2: rows<kK, kS, 2>(ch, g, weight, column, oh, outW, act); break;
    case 1: rows<kK, kS, 1>(ch, g, weight, column, oh, outW, act); break;
    default: break;
  }
}

}  // namespace

void runDepthwiseAvx512(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  forEachDepthwiseChannel<kDepthwiseBlockAvx512>(
      args, [&p](const Channel& ch, const DepthwisePlane& g, std::int64_t outH, std::int64_t outW) {
        const bool k3 = p.kernel[0] == 3;
        const bool s1 = p.stride[0] == 1;
        if (k3 && s1) channel<3, 1>(ch, g, outH, outW, p.activation);
        if (k3 && !s1) channel<3, 2>(ch, g, outH, outW, p.activation);
        if (!k3 && s1) channel<5, 1>(ch, g, outH, outW, p.activation);
        if (!k3 && !s1) channel<5, 2>(ch, g, outH, outW, p.activation);
      });
}

}  // namespace edgert::kernels::conv::x86
