// The fused Conv epilogue on 8 floats at a time (AVX2): the activation functions of
// activation.hpp, lane by lane. Relu, LeakyRelu, Clip, HardSigmoid and HardSwish are
// computed as the scalar versions compute them (same comparisons, same operation order);
// Sigmoid and Tanh go through the scalar applyActivation (std::exp, std::tanh). Included
// only by files compiled with -mavx2 -mfma.
#pragma once

#include "edgert/kernels/activation.hpp"

#include <immintrin.h>

#include <cstdint>

namespace edgert::kernels::conv::x86 {

inline __m256 activate(const ActivationParams& a, __m256 v) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 one = _mm256_set1_ps(1.0f);
  switch (a.kind) {
    case Activation::kNone: return v;
    // max_ps(p, q) is p > q ? p : q and min_ps(p, q) is p < q ? p : q: the operand order
    // below is the scalar std::max / std::min order, NaN included.
    case Activation::kRelu: return _mm256_max_ps(v, zero);
    case Activation::kLeakyRelu: {
      const __m256 negative = _mm256_cmp_ps(v, zero, _CMP_LT_OQ);
      return _mm256_blendv_ps(v, _mm256_mul_ps(_mm256_set1_ps(a.alpha), v), negative);
    }
    case Activation::kClip:
      return _mm256_min_ps(_mm256_set1_ps(a.beta), _mm256_max_ps(_mm256_set1_ps(a.alpha), v));
    case Activation::kHardSigmoid: {
      const __m256 t = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(a.alpha), v), _mm256_set1_ps(a.beta));
      return _mm256_max_ps(_mm256_min_ps(t, one), zero);
    }
    case Activation::kHardSwish: {
      const __m256 t = _mm256_add_ps(_mm256_div_ps(v, _mm256_set1_ps(6.0f)), _mm256_set1_ps(0.5f));
      return _mm256_mul_ps(v, _mm256_max_ps(_mm256_min_ps(t, one), zero));
    }
    case Activation::kHardSwishAffine: {
      const __m256 t = _mm256_add_ps(_mm256_div_ps(v, _mm256_set1_ps(6.0f)), _mm256_set1_ps(0.5f));
      const __m256 h = _mm256_mul_ps(v, _mm256_max_ps(_mm256_min_ps(t, one), zero));
      // Not fused: h * alpha + beta rounded twice, as the scalar version computes it.
      return _mm256_add_ps(_mm256_mul_ps(h, _mm256_set1_ps(a.alpha)), _mm256_set1_ps(a.beta));
    }
    case Activation::kSigmoid:
    case Activation::kTanh: break;
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  for (float& x : lanes) x = applyActivation(a, x);
  return _mm256_load_ps(lanes);
}

// Lanes [0, count) set, for count in [0, 8].
inline __m256i laneMask(std::int64_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), index);
}

// acc (conv + bias) -> act(acc + residual) stored at y; residual may be y itself: it is
// read before y is written. `mask` selects the lanes to read and write when kMasked.
template <bool kMasked>
inline void finish(const ActivationParams& a, __m256 acc, const float* residual, float* y,
                   __m256i mask) {
  if (residual != nullptr) {
    acc = _mm256_add_ps(acc, kMasked ? _mm256_maskload_ps(residual, mask) : _mm256_loadu_ps(residual));
  }
  acc = activate(a, acc);
  if constexpr (kMasked) {
    _mm256_maskstore_ps(y, mask, acc);
  } else {
    _mm256_storeu_ps(y, acc);
  }
}

}  // namespace edgert::kernels::conv::x86
