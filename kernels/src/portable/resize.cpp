// Resize (nearest), portable fast variant. The reference maps every output element's
// coordinates through the transform and rounding, axis by axis; here each axis's output
// positions are mapped once into a table in scratch (offsets into X, the same
// ref::nearestIndex), then output rows are gathered with counters. An output row whose
// source row equals the previous one's (every second row of a 2x upsample) is a copy.
// The tables are built by the calling thread; the rows are then split over the pool.
#include "../elementwise_variants.hpp"
#include "../ref/resize_coordinates.hpp"

#include <cstring>

namespace edgert::kernels::elementwise {

void runResizeNearestPortable(const KernelArgs& args) {
  const auto& p = *static_cast<const ResizeParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();
  if (ys.numel() == 0) return;
  const int rank = ys.rank;
  // table[d] holds, for every output index along axis d, the source index times X's stride.
  auto* tables = reinterpret_cast<std::int64_t*>(args.scratch.data());
  std::int64_t* table[kMaxRank] = {};
  std::int64_t stride = 1;
  std::int64_t used = 0;
  for (int d = rank - 1; d >= 0; --d) used += ys.dims[d];
  for (int d = rank - 1; d >= 0; --d) {
    used -= ys.dims[d];
    table[d] = tables + used;
    const ref::AxisMap axis{xs.dims[d], ys.dims[d],
                            ref::effectiveScale(xs.dims[d], ys.dims[d], p.scale[d])};
    for (std::int64_t o = 0; o < ys.dims[d]; ++o) {
      const double c = ref::sourceCoordinate(p.transform, o, axis);
      table[d][o] = ref::nearestIndex(c, p.rounding, axis.in) * stride;
    }
    stride *= xs.dims[d];
  }
  const int inner = rank - 1;
  const std::int64_t n = ys.dims[inner];
  const std::int64_t rows = ys.numel() / n;
  const std::int64_t* columns = table[inner];
  const std::int64_t tasks = taskCount(args.pool, ys.numel(), rows);
  parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
    const std::int64_t rowEnd = rows * (t + 1) / tasks;
    std::int64_t r = rows * t / tasks;
    // The counters of row r.
    std::int64_t index[kMaxRank] = {};
    std::int64_t base = 0;
    std::int64_t rest = r;
    for (int d = inner - 1; d >= 0; --d) {
      index[d] = rest % ys.dims[d];
      rest /= ys.dims[d];
      base += table[d][index[d]];
    }
    std::int64_t previousBase = -1;
    for (; r < rowEnd; ++r) {
      float* yr = y + r * n;
      if (base == previousBase) {
        std::memcpy(yr, yr - n, static_cast<std::size_t>(n) * sizeof(float));
      } else {
        const float* xr = x + base;
        for (std::int64_t i = 0; i < n; ++i) yr[i] = xr[columns[i]];
      }
      previousBase = base;
      for (int d = inner - 1; d >= 0; --d) {
        base -= table[d][index[d]];
        if (++index[d] < ys.dims[d]) {
          base += table[d][index[d]];
          break;
        }
        index[d] = 0;
        base += table[d][0];
      }
    }
  });
}

}  // namespace edgert::kernels::elementwise
