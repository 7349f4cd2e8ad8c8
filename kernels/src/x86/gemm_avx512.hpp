// The register tile of the AVX-512 matrix-product variants (Conv general, ConvTranspose
// upsample; conv_variants.hpp): 12 output channels by 32 pixels. Per step
// of K, two loads of columns, twelve broadcasts from the interleaved weight panel and 24
// FMAs on 24 accumulators; 27 of the 32 vector registers. On cores with 512-bit FMA units
// (Zen 5, Intel server cores) that is twice the AVX2 tile's work per instruction. A tile
// short of 32 pixels reads and writes Y through lane masks. Float32 accumulation; epilogue
// as in epilogue_avx512.hpp. Included only by files compiled with -mavx512f.
//
// Loops over the tile's rows and vectors are unrolled by pragma, as in gemm_avx2.hpp.
#pragma once

#include "../conv_variants.hpp"
#include "epilogue_avx512.hpp"

#include <algorithm>

namespace edgert::kernels::conv::x86::avx512 {

inline constexpr int kGemmRows = 12;
static_assert(kAvx512Gemm.rows == kGemmRows && kAvx512Gemm.cols == 32, "the tile below is 12 x 32");

template <bool kFull>
void gemmTile(const GemmTile& t, const ActivationParams& act) {
  const __mmask16 mask0 = kFull ? __mmask16(0xFFFF) : laneMask(std::min<std::int64_t>(t.pixels, 16));
  const __mmask16 mask1 = kFull ? __mmask16(0xFFFF) : laneMask(std::max<std::int64_t>(t.pixels - 16, 0));
  __m512 acc[kGemmRows][2];
#pragma GCC unroll 12
  for (int r = 0; r < kGemmRows; ++r) {
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    if (r >= t.rows) continue;
    const float* y = t.y + r * t.plane;
    if (!t.first) {
      acc[r][0] = _mm512_maskz_loadu_ps(mask0, y);
      acc[r][1] = _mm512_maskz_loadu_ps(mask1, y + 16);
      continue;
    }
    if (t.bias != nullptr) acc[r][0] = acc[r][1] = _mm512_set1_ps(t.bias[r]);
    if (t.residual != nullptr) {
      const float* res = t.residual + r * t.plane;
      acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(mask0, res));
      acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(mask1, res + 16));
    }
  }
  const float* w = t.w;
  const float* x = t.columns;
  for (std::int64_t k = 0; k < t.steps; ++k, w += kGemmRows, x += t.stride) {
    const __m512 x0 = _mm512_loadu_ps(x);
    const __m512 x1 = _mm512_loadu_ps(x + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kGemmRows; ++r) {
      const __m512 wv = _mm512_set1_ps(w[r]);
      acc[r][0] = _mm512_fmadd_ps(wv, x0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(wv, x1, acc[r][1]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < kGemmRows; ++r) {
    if (r >= t.rows) break;
    float* y = t.y + r * t.plane;
    _mm512_mask_storeu_ps(y, mask0, t.last ? activate(act, acc[r][0]) : acc[r][0]);
    _mm512_mask_storeu_ps(y + 16, mask1, t.last ? activate(act, acc[r][1]) : acc[r][1]);
  }
}

// One tile: masked where it is short of 32 pixels.
inline void runGemmTile(const GemmTile& t, const ActivationParams& act) {
  if (t.pixels == kAvx512Gemm.cols) {
    gemmTile<true>(t, act);
  } else {
    gemmTile<false>(t, act);
  }
}

}  // namespace edgert::kernels::conv::x86::avx512
