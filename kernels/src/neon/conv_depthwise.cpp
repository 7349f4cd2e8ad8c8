// Conv, depthwise (group == C == OC, 3x3 or 5x5, strides 1 or 2, any pads), NEON. Each
// channel plane is first copied into scratch, zero-padded (conv_variants.hpp), so every
// tap of every output vector is one load with no bounds check; a column stride of 2 reads
// the even/odd phases of the copy. Output rows are computed 8 columns at a time (two
// accumulators share each weight), the lanes past the row's end computed and not stored.
// Float32 accumulation; epilogue as in epilogue_neon.hpp.
#include "../conv_variants.hpp"
#include "epilogue_neon.hpp"

namespace edgert::kernels::conv::neon {
namespace {

using Channel = DepthwiseChannel;

void store(const ActivationParams& act, float32x4_t acc, const float* res, float* y,
           std::int64_t count) {
  if (count >= 4) {
    finish(act, acc, res, y);
  } else if (count > 0) {
    finishPartial(act, acc, res, y, count);
  }
}

template <int kK>
void channel(const Channel& ch, const DepthwisePlane& g, std::int64_t strideH, std::int64_t outH,
             std::int64_t outW, const ActivationParams& act) {
  constexpr int kTaps = kK * kK;
  std::int64_t offset[kTaps];
  float32x4_t weight[kTaps];
  for (int t = 0; t < kTaps; ++t) {
    offset[t] = depthwiseTapOffset(g, t / kK, t % kK);
    weight[t] = vdupq_n_f32(ch.w[t]);
  }
  const float32x4_t bias = vdupq_n_f32(ch.bias);
  for (std::int64_t oh = 0; oh < outH; ++oh) {
    const float* row = ch.plane + oh * strideH * g.rowFloats;
    const std::int64_t at = oh * outW;
    const float* res = ch.residual ? ch.residual + at : nullptr;
    float* y = ch.y + at;
    for (std::int64_t ow = 0; ow < outW; ow += 8) {
      float32x4_t a0 = bias;
      float32x4_t a1 = bias;
      for (int t = 0; t < kTaps; ++t) {
        a0 = vfmaq_f32(a0, weight[t], vld1q_f32(row + offset[t] + ow));
        a1 = vfmaq_f32(a1, weight[t], vld1q_f32(row + offset[t] + ow + 4));
      }
      const std::int64_t left = outW - ow;
      store(act, a0, res ? res + ow : nullptr, y + ow, left);
      store(act, a1, res ? res + ow + 4 : nullptr, y + ow + 4, left - 4);
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

}  // namespace edgert::kernels::conv::neon
