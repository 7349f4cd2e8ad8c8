// What max_pool_test.cpp and average_pool_test.cpp share: PoolParams builders and the
// output length each pooled axis should have, computed independently of the kernels'
// pool_window.hpp (in floating point, as the ONNX formula reads).
#pragma once

#include "edgert/kernels/ops.hpp"

#include <cmath>
#include <cstdint>

namespace edgert::kernels::test {

inline PoolParams pool2d(std::int32_t kH, std::int32_t kW, std::int32_t stride = 1) {
  PoolParams p;
  p.kernel[0] = kH;
  p.kernel[1] = kW;
  p.stride[0] = p.stride[1] = stride;
  return p;
}

inline PoolParams pool1d(std::int32_t k, std::int32_t stride = 1) {
  PoolParams p;
  p.spatialRank = 1;
  p.kernel[1] = k;
  p.stride[1] = stride;
  return p;
}

// The ONNX output-length formula evaluated in floating point, then the rule that the last
// window must start inside the input or the begin padding.
inline std::int64_t pooledLength(std::int64_t in, const PoolParams& p, int a) {
  const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
  const double v = static_cast<double>(in + p.padBegin[a] + p.padEnd[a] - extent) / p.stride[a] + 1;
  std::int64_t out = static_cast<std::int64_t>(p.ceilMode ? std::ceil(v) : std::floor(v));
  if (p.ceilMode && (out - 1) * p.stride[a] >= in + p.padBegin[a]) --out;
  return out;
}

}  // namespace edgert::kernels::test
