// MaxPool (2-D), portable fast variant. The reference finds every output's window with
// divisions and bounds per tap; here the window of an output row is found once, and for
// the output columns whose window lies wholly inside the input (all but a few at the
// edges) the taps are read with no bounds at all; 2x2 stride-2 windows (BlazeFace's) have
// their own loop, four outputs at a time with SSE2 or NEON. Taps are visited in the reference's order with its comparison, so NaN
// and signed zeros come out the same.
#include "../elementwise_variants.hpp"
#include "../ref/pool_window.hpp"

#include <limits>

#if defined(__SSE2__)
#include <immintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace edgert::kernels::elementwise {
namespace {

inline void keepMax(float& best, float v) {
  if (v > best) best = v;
}

}  // namespace

void runMaxPoolPortable(const KernelArgs& args) {
  const auto& p = *static_cast<const PoolParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();
  const std::int64_t planes = xs.dims[0] * xs.dims[1];
  const std::int64_t inH = xs.dims[2], inW = xs.dims[3];
  const std::int64_t outH = ys.dims[2], outW = ys.dims[3];
  const std::int64_t kw = p.kernel[1], sw = p.stride[1], dw = p.dilation[1];
  const std::int64_t padW = p.padBegin[1];
  // Output columns [colLo, colHi) have every tap inside the input.
  const std::int64_t extentW = (kw - 1) * dw + 1;
  std::int64_t colLo = (padW + sw - 1) / sw;
  std::int64_t colHi = inW + padW >= extentW ? (inW + padW - extentW) / sw + 1 : 0;
  colHi = std::min(colHi, outW);
  colLo = std::min(colLo, colHi);
  const bool twoByTwo = p.kernel[0] == 2 && kw == 2 && dw == 1 && p.dilation[0] == 1 && sw == 2;
  constexpr float kLowest = -std::numeric_limits<float>::infinity();

  // Output rows (plane, oh) split over the pool: each reads its own window rows only.
  const std::int64_t rows = planes * outH;
  const std::int64_t tasks = taskCount(args.pool, rows * outW * p.kernel[0] * kw, rows);
  parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
    for (std::int64_t r = rows * t / tasks; r < rows * (t + 1) / tasks; ++r) {
      const std::int64_t plane = r / outH;
      const std::int64_t oh = r % outH;
      const float* xp = x + plane * inH * inW;
      float* yp = y + plane * outH * outW;
      const ref::AxisWindow hw = ref::axisWindow(p, 0, oh, inH);
      float* yr = yp + oh * outW;
      // Edge columns: the reference's clipped windows.
      const auto clipped = [&](std::int64_t ow) {
        const ref::AxisWindow ww = ref::axisWindow(p, 1, ow, inW);
        float best = kLowest;
        for (std::int64_t jh = hw.inside.begin; jh < hw.inside.end; ++jh) {
          const float* row = xp + (hw.start + jh * hw.step) * inW;
          for (std::int64_t jw = ww.inside.begin; jw < ww.inside.end; ++jw) {
            keepMax(best, row[ww.start + jw * ww.step]);
          }
        }
        yr[ow] = best;
      };
      for (std::int64_t ow = 0; ow < colLo; ++ow) clipped(ow);
      if (twoByTwo && hw.inside.count() == 2) {
        const float* r0 = xp + hw.start * inW - padW;
        const float* r1 = r0 + inW;
        std::int64_t ow = colLo;
        // Four outputs at a time from eight columns of both rows, split into even and odd
        // columns; the same four comparisons in the same order as keepMax below.
#if defined(__SSE2__)
        // keepMax(best, v), best = v > best ? v : best, is exactly MAXPS(v, best): it
        // returns its second operand unless the first is greater (NaN in v keeps best).
        const __m128 lowest = _mm_set1_ps(kLowest);
        for (; ow + 4 <= colHi; ow += 4) {
          const std::int64_t c = ow * 2;
          const __m128 a0 = _mm_loadu_ps(r0 + c), a1 = _mm_loadu_ps(r0 + c + 4);
          const __m128 b0 = _mm_loadu_ps(r1 + c), b1 = _mm_loadu_ps(r1 + c + 4);
          __m128 best = _mm_max_ps(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)), lowest);
          best = _mm_max_ps(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), best);
          best = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), best);
          best = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), best);
          _mm_storeu_ps(yr + ow, best);
        }
#elif defined(__ARM_NEON)
        // NEON's vmaxq returns NaN for a NaN on either side: keepMax as compare and select.
        const auto keep = [](float32x4_t best, float32x4_t v) { return vbslq_f32(vcgtq_f32(v, best), v, best); };
        for (; ow + 4 <= colHi; ow += 4) {
          const std::int64_t c = ow * 2;
          const float32x4x2_t a = vld2q_f32(r0 + c);  // val[0]: even columns, val[1]: odd
          const float32x4x2_t b = vld2q_f32(r1 + c);
          float32x4_t best = keep(vdupq_n_f32(kLowest), a.val[0]);
          best = keep(best, a.val[1]);
          best = keep(best, b.val[0]);
          best = keep(best, b.val[1]);
          vst1q_f32(yr + ow, best);
        }
#endif
        for (; ow < colHi; ++ow) {
          const std::int64_t c = ow * 2;
          float best = kLowest;
          keepMax(best, r0[c]);
          keepMax(best, r0[c + 1]);
          keepMax(best, r1[c]);
          keepMax(best, r1[c + 1]);
          yr[ow] = best;
        }
      } else {
        for (std::int64_t ow = colLo; ow < colHi; ++ow) {
          const std::int64_t start = ow * sw - padW;
          float best = kLowest;
          for (std::int64_t jh = hw.inside.begin; jh < hw.inside.end; ++jh) {
            const float* row = xp + (hw.start + jh * hw.step) * inW + start;
            for (std::int64_t jw = 0; jw < kw; ++jw) keepMax(best, row[jw * dw]);
          }
          yr[ow] = best;
        }
      }
      for (std::int64_t ow = colHi; ow < outW; ++ow) clipped(ow);
    }
  });
}

}  // namespace edgert::kernels::elementwise
