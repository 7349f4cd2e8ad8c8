// Reading 16 columns of an input row in place (AVX-512 F), for the variants that take X as
// it lies, with no padded copy: the padding is the load mask. Included only by files
// compiled with -mavx512f.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace edgert::kernels::conv::x86::avx512 {

// Columns [c, c + 16) of `row` (inW floats), zero outside [0, inW). Only the lanes inside
// are read: a masked load faults on no lane it leaves out, and the address is formed as
// an integer, so a vector starting before the row is no out-of-bounds pointer.
inline __m512 loadColumns(const float* row, std::int64_t c, std::int64_t inW) {
  if (c >= 0 && c + 16 <= inW) return _mm512_loadu_ps(row + c);
  const std::int64_t lo = c < 0 ? -c : 0;
  const std::int64_t hi = inW - c < 16 ? inW - c : 16;
  if (hi <= lo) return _mm512_setzero_ps();
  const auto mask = static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
  const auto at = reinterpret_cast<std::uintptr_t>(row) + static_cast<std::uintptr_t>(c * 4);
  return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const void*>(at));
}

// Lane indexes of a two-source permute (vpermt2ps) taking the even and the odd floats of
// 32: columns c, c + 2, ... and c + 1, c + 3, ... of two consecutive loads from c.
inline __m512i evenLanes() {
  return _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
}
inline __m512i oddLanes() {
  return _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
}

// Columns c, c + 2, ..., c + 30 of `row`, zero outside [0, inW): a column stride of 2.
inline __m512 loadEvenColumns(const float* row, std::int64_t c, std::int64_t inW) {
  return _mm512_permutex2var_ps(loadColumns(row, c, inW), evenLanes(), loadColumns(row, c + 16, inW));
}

}  // namespace edgert::kernels::conv::x86::avx512
