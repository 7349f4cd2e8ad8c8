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

struct Channel {
  const float* plane;     // the padded copy
  const float* w;         // K x K
  float bias;
  const float* residual;  // outH x outW, or nullptr
  float* y;               // outH x outW
};

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

}  // namespace

void runDepthwise(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const InTensor& xt = args.inputs[0];
  const OutTensor& yt = args.outputs[0];
  const Shape& xs = xt.type.shape;
  const Shape& ys = yt.type.shape;
  const DepthwisePlane g = depthwisePlane(p, xs, ys);
  const std::int64_t batch = xs.dims[0];
  const std::int64_t channels = xs.dims[1];
  const std::int64_t inH = xs.dims[2];
  const std::int64_t inW = xs.dims[3];
  const std::int64_t outH = ys.dims[2];
  const std::int64_t outW = ys.dims[3];
  const std::int64_t taps = std::int64_t{p.kernel[0]} * p.kernel[1];
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  float* plane = reinterpret_cast<float*>(args.scratch.data());

  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const std::int64_t nc = n * channels + c;
      fillDepthwisePlane(p, g, xt.as<float>() + nc * inH * inW, inH, inW, plane);
      Channel ch{};
      ch.plane = plane;
      ch.w = w + c * taps;
      ch.bias = bias ? bias[c] : 0.0f;
      ch.residual = residual ? residual + nc * outH * outW : nullptr;
      ch.y = yt.as<float>() + nc * outH * outW;
      if (p.kernel[0] == 3) {
        channel<3>(ch, g, p.stride[0], outH, outW, p.activation);
      } else {
        channel<5>(ch, g, p.stride[0], outH, outW, p.activation);
      }
    }
  }
}

}  // namespace edgert::kernels::conv::x86
