// The register tile of the AVX2 matrix-product variants (Conv general, ConvTranspose
// upsample; conv_variants.hpp): 6 output channels by 16 pixels. Per step of K, two loads
// of columns, six broadcasts from the interleaved weight panel and 12 FMAs on 12
// accumulators; 15 of the 16 vector registers. A tile short of 16 pixels (the end of the
// output) reads and writes Y through masks. Float32 accumulation; epilogue as in
// epilogue_avx2.hpp. Included only by files compiled with -mavx2 -mfma.
//
// Every loop over the rows or vectors of the tile is unrolled by pragma: GCC at -O2 does
// not unroll them by itself, and an accumulator indexed by a loop counter lives in memory
// (a load and a store around every FMA).
#pragma once

#include "../conv_variants.hpp"
#include "epilogue_avx2.hpp"

#include <algorithm>

namespace edgert::kernels::conv::x86 {

inline constexpr int kGemmRows = 6;
static_assert(kAvx2Gemm.rows == kGemmRows && kAvx2Gemm.cols == 16, "the tile below is 6 x 16");

inline __m256 loadMasked(const float* p, __m256i mask, bool full) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

template <bool kFull>
void gemmTile(const GemmTile& t, const ActivationParams& act) {
  const __m256i mask0 = laneMask(std::min<std::int64_t>(t.pixels, 8));
  const __m256i mask1 = laneMask(std::max<std::int64_t>(t.pixels - 8, 0));
  __m256 acc[kGemmRows][2];
#pragma GCC unroll 6
  for (int r = 0; r < kGemmRows; ++r) {
    acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    if (r >= t.rows) continue;
    const float* y = t.y + r * t.plane;
    if (!t.first) {
      acc[r][0] = loadMasked(y, mask0, kFull);
      acc[r][1] = loadMasked(y + 8, mask1, kFull);
      continue;
    }
    if (t.bias != nullptr) acc[r][0] = acc[r][1] = _mm256_set1_ps(t.bias[r]);
    if (t.residual != nullptr) {
      const float* res = t.residual + r * t.plane;
      acc[r][0] = _mm256_add_ps(acc[r][0], loadMasked(res, mask0, kFull));
      acc[r][1] = _mm256_add_ps(acc[r][1], loadMasked(res + 8, mask1, kFull));
    }
  }
  const float* w = t.w;
  const float* x = t.columns;
  for (std::int64_t k = 0; k < t.steps; ++k, w += kGemmRows, x += t.stride) {
    const __m256 x0 = _mm256_loadu_ps(x);
    const __m256 x1 = _mm256_loadu_ps(x + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kGemmRows; ++r) {
      const __m256 wv = _mm256_broadcast_ss(w + r);
      acc[r][0] = _mm256_fmadd_ps(wv, x0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(wv, x1, acc[r][1]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < kGemmRows; ++r) {
    if (r >= t.rows) break;
    float* y = t.y + r * t.plane;
#pragma GCC unroll 2
    for (int v = 0; v < 2; ++v) {
      const __m256 out = t.last ? activate(act, acc[r][v]) : acc[r][v];
      if constexpr (kFull) {
        _mm256_storeu_ps(y + 8 * v, out);
      } else {
        _mm256_maskstore_ps(y + 8 * v, v == 0 ? mask0 : mask1, out);
      }
    }
  }
}

// One tile: masked where it is short of 16 pixels.
inline void runGemmTile(const GemmTile& t, const ActivationParams& act) {
  if (t.pixels == kAvx2Gemm.cols) {
    gemmTile<true>(t, act);
  } else {
    gemmTile<false>(t, act);
  }
}

}  // namespace edgert::kernels::conv::x86
