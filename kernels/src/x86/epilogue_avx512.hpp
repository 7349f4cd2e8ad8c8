// The fused Conv epilogue on 16 floats at a time (AVX-512 F): the activation functions of
// activation.hpp, lane by lane, computed as epilogue_avx2.hpp computes them (the scalar
// versions' comparisons and operation order; Sigmoid and Tanh through the scalar
// applyActivation). Partial vectors go through lane masks: a masked load reads nothing,
// and cannot fault, where its mask is clear. Included only by files compiled with
// -mavx512f.
#pragma once

#include "edgert/kernels/activation.hpp"

#include <immintrin.h>

#include <cstdint>

namespace edgert::kernels::conv::x86::avx512 {

// max and min through their zero-masking forms, all lanes set: GCC 12's _mm512_max_ps and
// _mm512_min_ps pass _mm512_undefined_ps() through, which -Wmaybe-uninitialized rejects.
// max(p, q) is p > q ? p : q and min(p, q) is p < q ? p : q, as with AVX2.
inline __m512 maxPs(__m512 p, __m512 q) { return _mm512_maskz_max_ps(0xFFFF, p, q); }
inline __m512 minPs(__m512 p, __m512 q) { return _mm512_maskz_min_ps(0xFFFF, p, q); }

inline __m512 activate(const ActivationParams& a, __m512 v) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 one = _mm512_set1_ps(1.0f);
  switch (a.kind) {
    case Activation::kNone: return v;
    case Activation::kRelu: return maxPs(v, zero);
    case Activation::kLeakyRelu: {
      const __mmask16 negative = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
      return _mm512_mask_mul_ps(v, negative, _mm512_set1_ps(a.alpha), v);
    }
    case Activation::kClip:
      return minPs(_mm512_set1_ps(a.beta), maxPs(_mm512_set1_ps(a.alpha), v));
    case Activation::kHardSigmoid: {
      const __m512 t = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(a.alpha), v), _mm512_set1_ps(a.beta));
      return maxPs(minPs(t, one), zero);
    }
    case Activation::kHardSwish: {
      const __m512 t = _mm512_add_ps(_mm512_div_ps(v, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
      return _mm512_mul_ps(v, maxPs(minPs(t, one), zero));
    }
    case Activation::kHardSwishAffine: {
      const __m512 t = _mm512_add_ps(_mm512_div_ps(v, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
      const __m512 h = _mm512_mul_ps(v, maxPs(minPs(t, one), zero));
      // Not fused: h * alpha + beta rounded twice, as the scalar version computes it.
      return _mm512_add_ps(_mm512_mul_ps(h, _mm512_set1_ps(a.alpha)), _mm512_set1_ps(a.beta));
    }
    case Activation::kSigmoid:
    case Activation::kTanh: break;
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  for (float& x : lanes) x = applyActivation(a, x);
  return _mm512_load_ps(lanes);
}

// Lanes [0, count) set, for count in [0, 16].
inline __mmask16 laneMask(std::int64_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << count) - 1u);
}

// acc (conv + bias) -> act(acc + residual) stored at y through `mask`; residual may be y
// itself: it is read before y is written.
inline void finish(const ActivationParams& a, __m512 acc, const float* residual, float* y, __mmask16 mask) {
  if (residual != nullptr) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mask, residual));
  _mm512_mask_storeu_ps(y, mask, activate(a, acc));
}

}  // namespace edgert::kernels::conv::x86::avx512
