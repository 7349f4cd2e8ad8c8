// Conv, depthwise (group == C == OC, 3x3 or 5x5, strides 1 or 2, any pads), AVX-512 F,
// reading X in place. The AVX2 variant first copies each channel plane into scratch,
// zero-padded (and, for a column stride of 2, split into even and odd columns); on
// BlazeFace front that copy took a fifth of the inference, as much as the depthwise
// arithmetic itself. Here the padding is a load mask instead: an input vector whose 16
// columns reach past either edge of the row is a masked load (lanes outside read as zero,
// and fault on nothing), a row above or below the plane is skipped. For a column stride
// of 2 the 16 columns an output vector needs are every other one of 32: two loads, then
// one two-source permute for the even taps and one for the odd (vpermt2ps).
//
// Vectors in the interior of the image (every row and column they read inside the plane)
// take a path with no row test and no mask: on BlazeFace back's 128x128 planes that cut
// the depthwise time by 14%.
//
// Eight output rows are computed together, one 16-column vector each: every input vector
// loaded feeds each of the up to eight output rows whose window holds its row (a 5x5
// kernel: 60 loads for 200 FMAs, not 200), and the eight accumulators are independent
// chains, enough to keep both FMA pipes busy through their latency (four rows ran 10-35%
// slower on 5x5 kernels, bench/conv_bench). The rows left over take passes of 4, 2 and 1:
// four bodies per kernel shape, as many as four rows per pass needed (passes of every
// height from 1 to 8 took clang 15 with the fuzz preset's sanitizers over 20 minutes on
// this file). The weights stay in registers. The last vector of a row is masked. Float32 accumulation, each output summed in tap order as the AVX2
// variant does; epilogue as in epilogue_avx512.hpp.
#include "../conv_variants.hpp"
#include "columns_avx512.hpp"
#include "epilogue_avx512.hpp"

#include <cstdint>

namespace edgert::kernels::conv::x86 {
namespace {

inline constexpr int kRowBlock = 8;  // output rows per pass

// One channel plane as the loops see it: X read in place, Y and the residual at the plane.
struct Plane {
  const float* x;  // inH x inW
  std::int64_t inH, inW;
  std::int64_t padTop, padLeft;
  const float* residual;  // outH x outW, or nullptr
  float* y;               // outH x outW
  std::int64_t outW;
  std::int64_t firstRow;  // the output row y (and the residual) start at: 0, or a chunk's
                          // first row when y holds that chunk's rows only
};

// Loads 16 columns from c: kSafe, with no check (every column is inside the row); else
// masked at the row's edges.
template <bool kSafe>
inline __m512 columns(const float* row, std::int64_t c, std::int64_t inW) {
  if constexpr (kSafe) {
    return _mm512_loadu_ps(row + c);
  } else {
    return avx512::loadColumns(row, c, inW);
  }
}

// The input vectors of one input row for output columns [ow, ow + 16): tap kw's is
// columns ow * kSW - padLeft + kw + kSW * lane.
template <int kK, int kSW, bool kSafe>
inline void tapVectors(const float* row, std::int64_t c0, std::int64_t inW, __m512 (&v)[kK]) {
  if constexpr (kSW == 1) {
#pragma GCC unroll 5
    for (int kw = 0; kw < kK; ++kw) v[kw] = columns<kSafe>(row, c0 + kw, inW);
  } else {
    const __m512i evens = avx512::evenLanes();
    const __m512i odds = avx512::oddLanes();
#pragma GCC unroll 3
    for (int kw = 0; kw < kK; kw += 2) {
      const __m512 a = columns<kSafe>(row, c0 + kw, inW);
      const __m512 b = columns<kSafe>(row, c0 + kw + 16, inW);
      v[kw] = _mm512_permutex2var_ps(a, evens, b);
      if (kw + 1 < kK) v[kw + 1] = _mm512_permutex2var_ps(a, odds, b);
    }
  }
}

// Output rows [oh, oh + kR), columns [ow, ow + 16). kSafe: every input row and column the
// vector reads lies inside the plane (the interior of the image), so no row is skipped
// and no load is masked; the branches and masks stay at the edges.
template <int kK, int kSH, int kSW, int kR, bool kSafe>
inline void vectorAt(const Plane& pl, const __m512 (&weight)[kK * kK], __m512 bias, std::int64_t oh,
                     std::int64_t ow, const ActivationParams& act) {
  constexpr int kInputRows = (kR - 1) * kSH + kK;
  const std::int64_t top = oh * kSH - pl.padTop;  // input row of tap row 0 of output row oh
  __m512 acc[kR];
#pragma GCC unroll 8
  for (int r = 0; r < kR; ++r) acc[r] = bias;
  const std::int64_t c0 = ow * kSW - pl.padLeft;
#pragma GCC unroll 21
  for (int i = 0; i < kInputRows; ++i) {
    const std::int64_t ih = top + i;
    if (!kSafe && (ih < 0 || ih >= pl.inH)) continue;  // padding rows add nothing
    __m512 v[kK];
    tapVectors<kK, kSW, kSafe>(pl.x + ih * pl.inW, c0, pl.inW, v);
#pragma GCC unroll 5
    for (int kw = 0; kw < kK; ++kw) {
#pragma GCC unroll 8
      for (int r = 0; r < kR; ++r) {
        const int kh = i - r * kSH;
        if (kh >= 0 && kh < kK) acc[r] = _mm512_fmadd_ps(weight[kh * kK + kw], v[kw], acc[r]);
      }
    }
  }
  const __mmask16 mask = avx512::laneMask(pl.outW - ow);
#pragma GCC unroll 8
  for (int r = 0; r < kR; ++r) {
    const std::int64_t at = (oh + r - pl.firstRow) * pl.outW + ow;
    avx512::finish(act, acc[r], pl.residual ? pl.residual + at : nullptr, pl.y + at, mask);
  }
}

// Output rows [oh, oh + kR), all columns.
template <int kK, int kSH, int kSW, int kR>
void rows(const Plane& pl, const __m512 (&weight)[kK * kK], __m512 bias, std::int64_t oh,
          const ActivationParams& act) {
  constexpr int kInputRows = (kR - 1) * kSH + kK;
  // The columns one vector reads: from c0 on, 16 + kK - 1 (stride 1) or 32 + kK - 1.
  constexpr std::int64_t kSpan = 16 * kSW + kK - 1;
  const std::int64_t top = oh * kSH - pl.padTop;
  const bool rowsInside = top >= 0 && top + kInputRows <= pl.inH;
  for (std::int64_t ow = 0; ow < pl.outW; ow += 16) {
    const std::int64_t c0 = ow * kSW - pl.padLeft;
    if (rowsInside && c0 >= 0 && c0 + kSpan <= pl.inW && ow + 16 <= pl.outW) {
      vectorAt<kK, kSH, kSW, kR, true>(pl, weight, bias, oh, ow, act);
    } else {
      vectorAt<kK, kSH, kSW, kR, false>(pl, weight, bias, oh, ow, act);
    }
  }
}

template <int kK, int kSH, int kSW>
void band(const Plane& pl, const float* w, float b, std::int64_t oh0, std::int64_t oh1,
          const ActivationParams& act) {
  __m512 weight[kK * kK];
  for (int t = 0; t < kK * kK; ++t) weight[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b);
  std::int64_t oh = oh0;
  for (; oh + kRowBlock <= oh1; oh += kRowBlock) rows<kK, kSH, kSW, kRowBlock>(pl, weight, bias, oh, act);
  if (oh + 4 <= oh1) {
    rows<kK, kSH, kSW, 4>(pl, weight, bias, oh, act);
    oh += 4;
  }
  if (oh + 2 <= oh1) {
    rows<kK, kSH, kSW, 2>(pl, weight, bias, oh, act);
    oh += 2;
  }
  if (oh < oh1) rows<kK, kSH, kSW, 1>(pl, weight, bias, oh, act);
}

template <int kK>
void bandOf(const ConvParams& p, const Plane& pl, const float* w, float b, std::int64_t oh0, std::int64_t oh1) {
  const bool rowStep1 = p.stride[0] == 1;
  const bool colStep1 = p.stride[1] == 1;
  if (rowStep1 && colStep1) band<kK, 1, 1>(pl, w, b, oh0, oh1, p.activation);
  if (rowStep1 && !colStep1) band<kK, 1, 2>(pl, w, b, oh0, oh1, p.activation);
  if (!rowStep1 && colStep1) band<kK, 2, 1>(pl, w, b, oh0, oh1, p.activation);
  if (!rowStep1 && !colStep1) band<kK, 2, 2>(pl, w, b, oh0, oh1, p.activation);
}

}  // namespace

void runDepthwiseAvx512(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  float* y = args.outputs[0].as<float>();
  const std::int64_t inPlane = xs.dims[2] * xs.dims[3];
  const std::int64_t outPlane = ys.dims[2] * ys.dims[3];
  const std::int64_t taps = std::int64_t{p.kernel[0]} * p.kernel[1];
  forEachDepthwiseBand(args, [&](std::int64_t nc, std::int64_t c, std::int64_t oh0, std::int64_t oh1, int) {
    const Plane pl{x + nc * inPlane, xs.dims[2], xs.dims[3], p.padBegin[0], p.padBegin[1],
                   residual ? residual + nc * outPlane : nullptr, y + nc * outPlane, ys.dims[3], 0};
    const float b = bias ? bias[c] : 0.0f;
    if (p.kernel[0] == 3) {
      bandOf<3>(p, pl, w + c * taps, b, oh0, oh1);
    } else {
      bandOf<5>(p, pl, w + c * taps, b, oh0, oh1);
    }
  });
}

void runDepthwisePointwiseAvx512(const KernelArgs& args) {
  const auto& p = *static_cast<const DepthwisePointwiseParams*>(args.params);
  const ConvParams& d = p.depthwise;
  const Shape& xs = args.inputs[0].type.shape;
  const std::int64_t inH = xs.dims[2], inW = xs.dims[3];
  const std::int64_t outW = args.outputs[0].type.shape.dims[3];
  const float* x = args.inputs[0].as<float>();
  const float* w = args.inputs[1].as<float>();
  const float* bias = d.hasBias ? args.inputs[3].as<float>() : nullptr;
  const std::int64_t taps = std::int64_t{d.kernel[0]} * d.kernel[1];
  forEachDepthwisePointwiseChunk<0>(
      args,
      [&](std::int64_t nc, std::int64_t c, std::int64_t oh0, std::int64_t oh1, float* t, float*) {
        const Plane pl{x + nc * inH * inW, inH, inW, d.padBegin[0], d.padBegin[1], nullptr, t, outW, oh0};
        const float b = bias ? bias[c] : 0.0f;
        if (d.kernel[0] == 3) {
          bandOf<3>(d, pl, w + c * taps, b, oh0, oh1);
        } else {
          bandOf<5>(d, pl, w + c * taps, b, oh0, oh1);
        }
      },
      pointwiseRowsAvx512);
}

}  // namespace edgert::kernels::conv::x86
