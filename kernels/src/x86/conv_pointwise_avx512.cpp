// Conv, pointwise (1x1, stride 1, no pads, group 1), AVX-512 F, reading X in place: per
// image, Y (OC x P) = W (OC x C) * X (C x P), in register tiles of 12 output channels by
// 32 pixels (24 accumulators): for each input channel, two loads of X, twelve broadcasts
// of W and 24 FMAs. No packing: with the few channels of mobile networks (24 to 96), copying
// X into columns as avx512-general would costs a third of the product itself; read in
// place it is 1.1-2.3x faster on BlazeFace's and PP-OCR's shapes (bench/kernels/conv_bench),
// even on 64x64 planes whose rows lie 16 KiB apart. The last strip of pixels is masked.
// Float32 accumulation; epilogue as in epilogue_avx512.hpp.
#include "../conv_variants.hpp"
#include "epilogue_avx512.hpp"

#include <algorithm>

namespace edgert::kernels::conv::x86 {
namespace {

constexpr std::int64_t kRows = 12;    // output channels per tile
constexpr std::int64_t kPixels = 32;  // pixels per tile: two vectors
constexpr std::int64_t kAhead = 128;  // prefetch distance (floats)

// The two lines kAhead floats past `at`, asked for early (the planes of 24-96 channels
// are read as as many streams at once). Formed as an integer: they may lie past the
// buffer's end, where a prefetch does not fault.
inline void prefetchAhead(const float* at) {
  const auto line = reinterpret_cast<std::uintptr_t>(at) + kAhead * sizeof(float);
  _mm_prefetch(reinterpret_cast<const char*>(line), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(line + 64), _MM_HINT_T0);
}

// Output channels [m, m + kR) by pixels [p, p + count), count in [1, 32].
template <int kR>
void tile(const PointwiseImage& k, std::int64_t m, std::int64_t p, std::int64_t count) {
  const __mmask16 mask0 = avx512::laneMask(std::min<std::int64_t>(count, 16));
  const __mmask16 mask1 = avx512::laneMask(std::max<std::int64_t>(count - 16, 0));
  __m512 acc[kR][2];
#pragma GCC unroll 12
  for (int r = 0; r < kR; ++r) {
    acc[r][0] = acc[r][1] = k.bias ? _mm512_set1_ps(k.bias[m + r]) : _mm512_setzero_ps();
  }
  const float* x = k.x + p;
  const float* w = k.w + m * k.channels;
  for (std::int64_t c = 0; c < k.channels; ++c, x += k.xStride) {
    const __m512 x0 = _mm512_maskz_loadu_ps(mask0, x);
    const __m512 x1 = _mm512_maskz_loadu_ps(mask1, x + 16);
    if (m == 0) prefetchAhead(x);
#pragma GCC unroll 12
    for (int r = 0; r < kR; ++r) {
      const __m512 wv = _mm512_set1_ps(w[r * k.channels + c]);
      acc[r][0] = _mm512_fmadd_ps(wv, x0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(wv, x1, acc[r][1]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < kR; ++r) {
    const std::int64_t at = (m + r) * k.yStride + p;
    const float* res = k.residual ? k.residual + at : nullptr;
    if (res) prefetchAhead(res);
    avx512::finish(k.act, acc[r][0], res, k.y + at, mask0);
    avx512::finish(k.act, acc[r][1], res ? res + 16 : nullptr, k.y + at + 16, mask1);
  }
}

void tileRows(const PointwiseImage& k, std::int64_t m, std::int64_t rows, std::int64_t p, std::int64_t count) {
  switch (rows) {
    case 1: tile<1>(k, m, p, count); break;
    case 2: tile<2>(k, m, p, count); break;
    case 3: tile<3>(k, m, p, count); break;
    case 4: tile<4>(k, m, p, count); break;
    case 5: tile<5>(k, m, p, count); break;
    case 6: tile<6>(k, m, p, count); break;
    case 7: tile<7>(k, m, p, count); break;
    case 8: tile<8>(k, m, p, count); break;
    case 9: tile<9>(k, m, p, count); break;
    case 10: tile<10>(k, m, p, count); break;
    case 11: tile<11>(k, m, p, count); break;
    default: tile<12>(k, m, p, count); break;
  }
}

// Rows [m0, m1) at pixels [p0, p1) of one product (forEachGemmTask's run).
void runRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1) {
  for (std::int64_t p = p0; p < p1; p += kPixels) {
    const std::int64_t count = std::min(kPixels, p1 - p);
    for (std::int64_t m = m0; m < m1; m += kRows) tileRows(k, m, std::min(kRows, m1 - m), p, count);
  }
}

}  // namespace

void runPointwiseAvx512(const KernelArgs& args) { forEachPointwiseTask<kRows, kPixels>(args, runRows); }

void pointwiseRowsAvx512(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0,
                         std::int64_t p1) {
  runRows(k, m0, m1, p0, p1);
}

void runMatMulAvx512(const KernelArgs& args) { forEachMatMulTask<kRows, kPixels>(args, runRows); }

}  // namespace edgert::kernels::conv::x86
