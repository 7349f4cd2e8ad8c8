// GlobalAveragePool, portable fast variant. The reference sums each plane into one double,
// a chain of dependent additions; here eight double lanes take every eighth element (the
// compiler vectorizes them) and meet at the end, still in double. Planes are split over
// the pool.
#include "../elementwise_variants.hpp"

namespace edgert::kernels::elementwise {

void runGlobalAveragePoolPortable(const KernelArgs& args) {
  const Shape& s = args.inputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();
  const std::int64_t planes = s.dims[0] * s.dims[1];
  std::int64_t size = 1;
  for (int i = 2; i < s.rank; ++i) size *= s.dims[i];
  const std::int64_t tasks = taskCount(args.pool, planes * size, planes);
  parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
    for (std::int64_t plane = planes * t / tasks; plane < planes * (t + 1) / tasks; ++plane) {
      const float* xp = x + plane * size;
      double lanes[8] = {};
      std::int64_t i = 0;
      for (; i + 8 <= size; i += 8) {
        for (int k = 0; k < 8; ++k) lanes[k] += static_cast<double>(xp[i + k]);
      }
      double sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
      for (; i < size; ++i) sum += static_cast<double>(xp[i]);
      y[plane] = static_cast<float>(sum / static_cast<double>(size));
    }
  });
}

}  // namespace edgert::kernels::elementwise
