// MaxPool (2-D), portable fast variant. The reference finds every output's window with
// divisions and bounds per tap; here the window of an output row is found once, and for
// the output columns whose window lies wholly inside the input (all but a few at the
// edges) the taps are read with no bounds at all; 2x2 stride-2 windows (BlazeFace's) have
// their own loop. Taps are visited in the reference's order with its comparison, so NaN
// and signed zeros come out the same.
#include "../elementwise_variants.hpp"
#include "../ref/pool_window.hpp"

#include <limits>

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
        for (std::int64_t ow = colLo; ow < colHi; ++ow) {
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
