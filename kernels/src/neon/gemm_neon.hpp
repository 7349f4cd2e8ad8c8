// The register tile of the NEON matrix-product variants (Conv general, ConvTranspose
// upsample; conv_variants.hpp): 8 output channels by 12 pixels. Per step of K, three
// loads of columns, two loads of the interleaved weight panel (8 weights) and 24
// lane-indexed FMAs on 24 accumulators; 29 of the 32 vector registers. Vectors of a tile
// short of 12 pixels (the end of the output) read and write Y a lane at a time. Float32
// accumulation; epilogue as in epilogue_neon.hpp. Included only in aarch64 builds.
//
// Every loop over the rows or vectors of the tile is unrolled by pragma: GCC at -O2 does
// not unroll them by itself, and an accumulator indexed by a loop counter lives in memory
// (a load and a store around every FMA).
#pragma once

#include "../conv_variants.hpp"
#include "epilogue_neon.hpp"

#include <algorithm>

namespace edgert::kernels::conv::neon {

inline constexpr int kGemmRows = 8;
inline constexpr int kGemmVectors = 3;
static_assert(kNeonGemm.rows == kGemmRows && kNeonGemm.cols == 4 * kGemmVectors,
              "the tile below is 8 x 12");

// The first `count` floats at p (count in [1, 4]), the other lanes zero.
inline float32x4_t loadLanes(const float* p, std::int64_t count) {
  if (count >= 4) return vld1q_f32(p);
  float lanes[4] = {};
  for (std::int64_t i = 0; i < count; ++i) lanes[i] = p[i];
  return vld1q_f32(lanes);
}

inline void storeLanes(float* p, float32x4_t v, std::int64_t count) {
  if (count >= 4) {
    vst1q_f32(p, v);
    return;
  }
  float lanes[4];
  vst1q_f32(lanes, v);
  for (std::int64_t i = 0; i < count; ++i) p[i] = lanes[i];
}

// acc[v] += x[v] * lane kLane of w, for the three pixel vectors of one row.
template <int kLane>
inline void fmaRow(float32x4_t (&acc)[kGemmVectors], const float32x4_t (&x)[kGemmVectors],
                   float32x4_t w) {
#pragma GCC unroll 3
  for (int v = 0; v < kGemmVectors; ++v) acc[v] = vfmaq_laneq_f32(acc[v], x[v], w, kLane);
}

// One tile.
inline void runGemmTile(const GemmTile& t, const ActivationParams& act) {
  // Pixels of each vector to read and write: 4, fewer at the end, 0 past it.
  std::int64_t lanes[kGemmVectors];
  for (int v = 0; v < kGemmVectors; ++v) {
    lanes[v] = std::clamp<std::int64_t>(t.pixels - 4 * v, 0, 4);
  }
  float32x4_t acc[kGemmRows][kGemmVectors];
#pragma GCC unroll 8
  for (int r = 0; r < kGemmRows; ++r) {
#pragma GCC unroll 3
    for (int v = 0; v < kGemmVectors; ++v) acc[r][v] = vdupq_n_f32(0.0f);
    if (r >= t.rows) continue;
    const float* y = t.y + r * t.plane;
    const float* res = t.residual ? t.residual + r * t.plane : nullptr;
    const float32x4_t bias = vdupq_n_f32(t.bias ? t.bias[r] : 0.0f);
#pragma GCC unroll 3
    for (int v = 0; v < kGemmVectors; ++v) {
      if (lanes[v] == 0) continue;
      if (!t.first) {
        acc[r][v] = loadLanes(y + 4 * v, lanes[v]);
      } else {
        acc[r][v] = res ? vaddq_f32(bias, loadLanes(res + 4 * v, lanes[v])) : bias;
      }
    }
  }
  const float* w = t.w;
  const float* x = t.columns;
  for (std::int64_t k = 0; k < t.steps; ++k, w += kGemmRows, x += t.stride) {
    const float32x4_t xv[kGemmVectors] = {vld1q_f32(x), vld1q_f32(x + 4), vld1q_f32(x + 8)};
    const float32x4_t w0 = vld1q_f32(w);
    const float32x4_t w1 = vld1q_f32(w + 4);
    fmaRow<0>(acc[0], xv, w0);
    fmaRow<1>(acc[1], xv, w0);
    fmaRow<2>(acc[2], xv, w0);
    fmaRow<3>(acc[3], xv, w0);
    fmaRow<0>(acc[4], xv, w1);
    fmaRow<1>(acc[5], xv, w1);
    fmaRow<2>(acc[6], xv, w1);
    fmaRow<3>(acc[7], xv, w1);
  }
#pragma GCC unroll 8
  for (int r = 0; r < kGemmRows; ++r) {
    if (r >= t.rows) break;
    float* y = t.y + r * t.plane;
#pragma GCC unroll 3
    for (int v = 0; v < kGemmVectors; ++v) {
      if (lanes[v] == 0) continue;
      storeLanes(y + 4 * v, t.last ? activate(act, acc[r][v]) : acc[r][v], lanes[v]);
    }
  }
}

}  // namespace edgert::kernels::conv::neon
