// Conv, pointwise (1x1, stride 1, no pads, group 1), and MatMul (the same products,
// conv_variants.hpp), AVX2 + FMA. Per image, Y (OC x P) =
// W (OC x C) * X (C x P) with P pixels, computed in register tiles of kRows output
// channels by 16 pixels: for each input channel, two loads of X, kRows broadcasts of W and
// 2 * kRows FMAs. The 16-pixel strip of X (C x 16 floats) stays in L1 while every tile of
// output channels passes over it. The last strip of a row of pixels uses masked loads and
// stores. Float32 accumulation; epilogue as in epilogue_avx2.hpp. The loops over the
// tile's rows are unrolled by pragma, as in gemm_avx2.hpp: without it the accumulators
// live in memory.
#include "../conv_variants.hpp"
#include "epilogue_avx2.hpp"

#include <algorithm>

namespace edgert::kernels::conv::x86 {
namespace {

constexpr std::int64_t kRows = 6;     // output channels per tile
constexpr std::int64_t kPixels = 16;  // pixels per tile: two vectors

// Output channels [m, m + kR) by pixels [p, p + count), count in [1, 16]: masked unless
// kFull (count == 16).
template <int kR, bool kFull>
void tile(const PointwiseImage& k, std::int64_t m, std::int64_t p, std::int64_t count) {
  const __m256i mask0 = laneMask(std::min<std::int64_t>(count, 8));
  const __m256i mask1 = laneMask(std::max<std::int64_t>(count - 8, 0));
  __m256 acc[kR][2];
#pragma GCC unroll 6
  for (int r = 0; r < kR; ++r) {
    acc[r][0] = acc[r][1] = k.bias ? _mm256_set1_ps(k.bias[m + r]) : _mm256_setzero_ps();
  }
  const float* x = k.x + p;
  const float* w = k.w + m * k.channels;
  for (std::int64_t c = 0; c < k.channels; ++c, x += k.xStride) {
    __m256 x0, x1;
    if constexpr (kFull) {
      x0 = _mm256_loadu_ps(x);
      x1 = _mm256_loadu_ps(x + 8);
    } else {
      x0 = _mm256_maskload_ps(x, mask0);
      x1 = _mm256_maskload_ps(x + 8, mask1);
    }
#pragma GCC unroll 6
    for (int r = 0; r < kR; ++r) {
      const __m256 wv = _mm256_broadcast_ss(w + r * k.channels + c);
      acc[r][0] = _mm256_fmadd_ps(wv, x0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(wv, x1, acc[r][1]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < kR; ++r) {
    const std::int64_t at = (m + r) * k.yStride + p;
    const float* res = k.residual ? k.residual + at : nullptr;
    finish<!kFull>(k.act, acc[r][0], res, k.y + at, mask0);
    finish<!kFull>(k.act, acc[r][1], res ? res + 8 : nullptr, k.y + at + 8, mask1);
  }
}

template <bool kFull>
void tileRows(const PointwiseImage& k, std::int64_t m, std::int64_t rows, std::int64_t p,
              std::int64_t count) {
  switch (rows) {
    case 1: tile<1, kFull>(k, m, p, count); break;
    case 2: tile<2, kFull>(k, m, p, count); break;
    case 3: tile<3, kFull>(k, m, p, count); break;
    case 4: tile<4, kFull>(k, m, p, count); break;
    case 5: tile<5, kFull>(k, m, p, count); break;
    default: tile<6, kFull>(k, m, p, count); break;
  }
}

// Rows [m0, m1) at pixels [p0, p1) of one product (forEachGemmTask's run).
void runRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1) {
  for (std::int64_t p = p0; p < p1; p += kPixels) {
    const std::int64_t count = std::min(kPixels, p1 - p);
    for (std::int64_t m = m0; m < m1; m += kRows) {
      const std::int64_t rows = std::min(kRows, m1 - m);
      if (count == kPixels) {
        tileRows<true>(k, m, rows, p, count);
      } else {
        tileRows<false>(k, m, rows, p, count);
      }
    }
  }
}

}  // namespace

void runPointwise(const KernelArgs& args) { forEachPointwiseTask<kRows, kPixels>(args, runRows); }

void pointwiseRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1) {
  runRows(k, m0, m1, p0, p1);
}

void runMatMul(const KernelArgs& args) { forEachMatMulTask<kRows, kPixels>(args, runRows); }

}  // namespace edgert::kernels::conv::x86
