// Conv, pointwise (1x1, stride 1, no pads, group 1), NEON. Per image, Y (OC x P) = W (OC x
// C) * X (C x P) with P pixels, in register tiles of kRows output channels by up to 12
// pixels (three vectors): per input channel, up to three loads of X, kRows weight loads
// and 3 * kRows FMAs on 18 of the 32 vector registers. Pixels past the last whole vector
// are computed one by one. Float32 accumulation; epilogue as in epilogue_neon.hpp. The
// loops over the tile's rows and vectors are unrolled by pragma, as in gemm_neon.hpp:
// without it the accumulators live in memory.
#include "../conv_variants.hpp"
#include "epilogue_neon.hpp"

#include <algorithm>
#include <cmath>

namespace edgert::kernels::conv::neon {
namespace {

constexpr std::int64_t kRows = 6;  // output channels per tile
constexpr int kVectors = 3;        // pixel vectors per tile (4 pixels each)

// Output channels [m, m + kR) by pixels [p, p + 4 * kV).
template <int kR, int kV>
void tile(const PointwiseImage& k, std::int64_t m, std::int64_t p) {
  float32x4_t acc[kR][kV];
#pragma GCC unroll 6
  for (int r = 0; r < kR; ++r) {
    const float32x4_t b = vdupq_n_f32(k.bias ? k.bias[m + r] : 0.0f);
#pragma GCC unroll 3
    for (int v = 0; v < kV; ++v) acc[r][v] = b;
  }
  const float* x = k.x + p;
  const float* w = k.w + m * k.channels;
  for (std::int64_t c = 0; c < k.channels; ++c, x += k.xStride) {
    float32x4_t xv[kV];
#pragma GCC unroll 3
    for (int v = 0; v < kV; ++v) xv[v] = vld1q_f32(x + 4 * v);
#pragma GCC unroll 6
    for (int r = 0; r < kR; ++r) {
      const float32x4_t wv = vld1q_dup_f32(w + r * k.channels + c);
#pragma GCC unroll 3
      for (int v = 0; v < kV; ++v) acc[r][v] = vfmaq_f32(acc[r][v], wv, xv[v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < kR; ++r) {
    const std::int64_t at = (m + r) * k.yStride + p;
#pragma GCC unroll 3
    for (int v = 0; v < kV; ++v) {
      finish(k.act, acc[r][v], k.residual ? k.residual + at + 4 * v : nullptr, k.y + at + 4 * v);
    }
  }
}

template <int kV>
void tileRows(const PointwiseImage& k, std::int64_t m, std::int64_t rows, std::int64_t p) {
  switch (rows) {
    case 1: tile<1, kV>(k, m, p); break;
    case 2: tile<2, kV>(k, m, p); break;
    case 3: tile<3, kV>(k, m, p); break;
    case 4: tile<4, kV>(k, m, p); break;
    case 5: tile<5, kV>(k, m, p); break;
    default: tile<6, kV>(k, m, p); break;
  }
}

// Pixels [p, pixels), fewer than 4, for output channels [m0, m1).
void tailPixels(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p) {
  for (std::int64_t m = m0; m < m1; ++m) {
    const float* w = k.w + m * k.channels;
    for (std::int64_t q = p; q < k.pixels; ++q) {
      float sum = k.bias ? k.bias[m] : 0.0f;
      // Fused, as vfmaq in the tiles: a pixel gives the same bits in a tile or in the tail
      // (DepthwisePointwise's chunks put the tail where the band split falls).
      for (std::int64_t c = 0; c < k.channels; ++c) sum = std::fma(w[c], k.x[c * k.xStride + q], sum);
      const std::int64_t at = m * k.yStride + q;
      if (k.residual) sum += k.residual[at];
      k.y[at] = applyActivation(k.act, sum);
    }
  }
}

// Strips of 4 * kVectors pixels; the task with the last strip also computes the pixels
// past the last vector.
constexpr std::int64_t kStrip = 4 * kVectors;

// Rows [m0, m1) at pixels [p0, p1) of one product (forEachGemmTask's run).
void runRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1) {
  const std::int64_t vectorPixels = k.pixels / 4 * 4;
  for (std::int64_t p = p0; p < std::min(p1, vectorPixels); p += kStrip) {
    const std::int64_t vectors = std::min<std::int64_t>(kVectors, (vectorPixels - p) / 4);
    for (std::int64_t m = m0; m < m1; m += kRows) {
      const std::int64_t rows = std::min(kRows, m1 - m);
      if (vectors == 3) {
        tileRows<3>(k, m, rows, p);
      } else if (vectors == 2) {
        tileRows<2>(k, m, rows, p);
      } else {
        tileRows<1>(k, m, rows, p);
      }
    }
  }
  if (p1 == k.pixels && vectorPixels < k.pixels) tailPixels(k, m0, m1, vectorPixels);
}

}  // namespace

void runPointwise(const KernelArgs& args) { forEachPointwiseTask<kRows, kStrip>(args, runRows); }

void pointwiseRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1) {
  runRows(k, m0, m1, p0, p1);
}

void runMatMul(const KernelArgs& args) { forEachMatMulTask<kRows, kStrip>(args, runRows); }

}  // namespace edgert::kernels::conv::neon
