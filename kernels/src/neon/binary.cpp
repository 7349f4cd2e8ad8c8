// Binary, NEON variant: the row loops of binary_rows.hpp on 4 floats at a time, with the
// fused activation of Conv's epilogue (epilogue_neon.hpp: a NaN comes out as the
// reference's).
#include "../binary_rows.hpp"
#include "epilogue_neon.hpp"

#include <arm_neon.h>

namespace edgert::kernels::elementwise::neon {
namespace {

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
    return conv::neon::activate(p, v);
  }
};

}  // namespace

void runBinary(const KernelArgs& args) { runBinaryWith<NeonVec>(args); }

}  // namespace edgert::kernels::elementwise::neon
