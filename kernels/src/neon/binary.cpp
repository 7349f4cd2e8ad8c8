// Binary, NEON variant: the row loops of binary_rows.hpp on 4 floats at a time. The
// activations use the comparisons std::min and std::max make (vminq/vmaxq would return
// NaN where the scalar Relu and HardSigmoid return 0 or 1), so a NaN comes out as the
// reference's; Sigmoid and Tanh go through the scalar functions.
#include "../binary_rows.hpp"

#include <arm_neon.h>

namespace edgert::kernels::elementwise::neon {
namespace {

// std::min(a, b) and std::max(a, b), lane by lane: (b < a) ? b : a and (a < b) ? b : a.
float32x4_t stdMin(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(b, a), b, a); }
float32x4_t stdMax(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(a, b), b, a); }

float32x4_t activate(const ActivationParams& a, float32x4_t v) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const float32x4_t one = vdupq_n_f32(1.0f);
  switch (a.kind) {
    case Activation::kNone: return v;
    case Activation::kRelu: return vbslq_f32(vcgtq_f32(v, zero), v, zero);
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

struct NeonVec {
  using Vec = float32x4_t;
  static constexpr std::int64_t kWidth = 4;
  static float32x4_t load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, float32x4_t v) { vst1q_f32(p, v); }
  static float32x4_t splat(float x) { return vdupq_n_f32(x); }
  static float32x4_t add(float32x4_t a, float32x4_t b) { return vaddq_f32(a, b); }
  static float32x4_t sub(float32x4_t a, float32x4_t b) { return vsubq_f32(a, b); }
  static float32x4_t mul(float32x4_t a, float32x4_t b) { return vmulq_f32(a, b); }
  static float32x4_t div(float32x4_t a, float32x4_t b) { return vdivq_f32(a, b); }
  static float32x4_t activate(const ActivationParams& p, float32x4_t v) {
    return neon::activate(p, v);
  }
};

}  // namespace

void runBinary(const KernelArgs& args) { runBinaryWith<NeonVec>(args); }

}  // namespace edgert::kernels::elementwise::neon
