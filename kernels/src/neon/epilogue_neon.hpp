// The fused epilogue activation on 4 floats at a time (NEON), for Conv and Binary: the
// functions of activation.hpp, lane by lane, equal to the scalar versions for every input,
// NaN included. Relu, LeakyRelu, Clip, HardSigmoid and HardSwish use the comparisons
// std::min and std::max make (vminq/vmaxq would return NaN where the scalar Relu and
// HardSigmoid return 0 or 1, unlike the reference and the x86 variants, whose maxps/minps
// compare the same way); Sigmoid and Tanh go through the scalar applyActivation. Included
// only in aarch64 builds.
#pragma once

#include "edgert/kernels/activation.hpp"

#include <arm_neon.h>

#include <cstdint>

namespace edgert::kernels::conv::neon {

// std::min(a, b) and std::max(a, b), lane by lane: (b < a) ? b : a and (a < b) ? b : a.
inline float32x4_t stdMin(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(b, a), b, a); }
inline float32x4_t stdMax(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(a, b), b, a); }

inline float32x4_t activate(const ActivationParams& a, float32x4_t v) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const float32x4_t one = vdupq_n_f32(1.0f);
  switch (a.kind) {
    case Activation::kNone: return v;
    case Activation::kRelu: return vbslq_f32(vcgtq_f32(v, zero), v, zero);  // x > 0 ? x : 0
    case Activation::kLeakyRelu:
      return vbslq_f32(vcltq_f32(v, zero), vmulq_f32(vdupq_n_f32(a.alpha), v), v);
    case Activation::kClip:
      return stdMin(stdMax(v, vdupq_n_f32(a.alpha)), vdupq_n_f32(a.beta));
    case Activation::kHardSigmoid: {
      const float32x4_t t = vaddq_f32(vmulq_f32(vdupq_n_f32(a.alpha), v), vdupq_n_f32(a.beta));
      return stdMax(zero, stdMin(one, t));
    }
    case Activation::kHardSwish: {
      const float32x4_t t = vaddq_f32(vdivq_f32(v, vdupq_n_f32(6.0f)), vdupq_n_f32(0.5f));
      return vmulq_f32(v, stdMax(zero, stdMin(one, t)));
    }
    case Activation::kHardSwishAffine: {
      const float32x4_t t = vaddq_f32(vdivq_f32(v, vdupq_n_f32(6.0f)), vdupq_n_f32(0.5f));
      const float32x4_t h = vmulq_f32(v, stdMax(zero, stdMin(one, t)));
      return vaddq_f32(vmulq_f32(h, vdupq_n_f32(a.alpha)), vdupq_n_f32(a.beta));
    }
    case Activation::kSigmoid:
    case Activation::kTanh: break;
  }
  float lanes[4];
  vst1q_f32(lanes, v);
  for (float& x : lanes) x = applyActivation(a, x);
  return vld1q_f32(lanes);
}

// acc (conv + bias) -> act(acc + residual) stored at y; residual may be y itself: it is
// read before y is written.
inline void finish(const ActivationParams& a, float32x4_t acc, const float* residual, float* y) {
  if (residual != nullptr) acc = vaddq_f32(acc, vld1q_f32(residual));
  vst1q_f32(y, activate(a, acc));
}

// The same for the first `count` (< 4) lanes only: nothing past them is read or written.
inline void finishPartial(const ActivationParams& a, float32x4_t acc, const float* residual,
                          float* y, std::int64_t count) {
  float lanes[4] = {};
  if (residual != nullptr) {
    for (std::int64_t i = 0; i < count; ++i) lanes[i] = residual[i];
    acc = vaddq_f32(acc, vld1q_f32(lanes));
  }
  vst1q_f32(lanes, activate(a, acc));
  for (std::int64_t i = 0; i < count; ++i) y[i] = lanes[i];
}

}  // namespace edgert::kernels::conv::neon
