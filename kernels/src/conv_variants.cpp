#include "conv_variants.hpp"

#include <algorithm>
#include <cstring>

namespace edgert::kernels::conv {
namespace {

bool isFloat(const TensorType& t) { return t.dtype == DType::kFloat32; }

}  // namespace

bool pointwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  return p.weightLayout == 0 && p.group == 1 && p.kernel[0] == 1 && p.kernel[1] == 1 &&
         p.stride[0] == 1 && p.stride[1] == 1 && p.padBegin[0] == 0 && p.padBegin[1] == 0 &&
         p.padEnd[0] == 0 && p.padEnd[1] == 0;
}

bool depthwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  if (p.spatialRank != 2 || x.rank != 4 || w.rank != 4 || p.weightLayout != 0) return false;
  const bool squareKernel = p.kernel[0] == p.kernel[1] && (p.kernel[0] == 3 || p.kernel[0] == 5);
  const bool strides = (p.stride[0] == 1 || p.stride[0] == 2) && (p.stride[1] == 1 || p.stride[1] == 2);
  return squareKernel && strides && p.dilation[0] == 1 && p.dilation[1] == 1 &&
         x.dims[1] == p.group && w.dims[0] == p.group && w.dims[1] == 1;
}

DepthwisePlane depthwisePlane(const ConvParams& p, const Shape& /*x*/, const Shape& y) {
  DepthwisePlane g;
  const std::int64_t outH = y.dims[2];
  const std::int64_t outW = y.dims[3];
  const std::int64_t k = p.kernel[1];
  g.outCols = (outW + kDepthwiseBlock - 1) / kDepthwiseBlock * kDepthwiseBlock;
  g.rows = (outH - 1) * p.stride[0] + p.kernel[0];
  if (p.stride[1] == 1) {
    g.rowFloats = g.outCols + k - 1;
  } else {
    g.phase = g.outCols + (k - 1) / 2;
    g.rowFloats = 2 * g.phase;
  }
  return g;
}

std::uint64_t depthwiseScratch(const void* params, std::span<const TensorType> inputs,
                               std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  // No image or no channel: the kernel copies no plane (and the plane's size, bounded by
  // Y's element count otherwise, could be anything).
  if (outputs[0].shape.numel() == 0) return 0;
  const DepthwisePlane g = depthwisePlane(p, inputs[0].shape, outputs[0].shape);
  return static_cast<std::uint64_t>(g.rows) * static_cast<std::uint64_t>(g.rowFloats) * sizeof(float);
}

void fillDepthwisePlane(const ConvParams& p, const DepthwisePlane& g, const float* x,
                        std::int64_t inH, std::int64_t inW, float* plane) {
  const std::int64_t padTop = p.padBegin[0];
  const std::int64_t padLeft = p.padBegin[1];
  for (std::int64_t r = 0; r < g.rows; ++r) {
    float* dst = plane + r * g.rowFloats;
    const std::int64_t ih = r - padTop;
    if (ih < 0 || ih >= inH) {
      std::memset(dst, 0, static_cast<std::size_t>(g.rowFloats) * sizeof(float));
      continue;
    }
    const float* src = x + ih * inW;
    if (g.phase == 0) {
      // Padded column c holds input column c - padLeft: [0, begin) and [end, rowFloats)
      // are padding.
      const std::int64_t begin = std::min(padLeft, g.rowFloats);
      const std::int64_t end = std::min(padLeft + inW, g.rowFloats);
      std::memset(dst, 0, static_cast<std::size_t>(begin) * sizeof(float));
      if (end > begin) std::memcpy(dst + begin, src, static_cast<std::size_t>(end - begin) * sizeof(float));
      std::memset(dst + end, 0, static_cast<std::size_t>(g.rowFloats - end) * sizeof(float));
      continue;
    }
    // Two phases: dst[q * phase + j] holds padded column 2 * j + q.
    for (std::int64_t q = 0; q < 2; ++q) {
      float* out = dst + q * g.phase;
      for (std::int64_t j = 0; j < g.phase; ++j) {
        const std::int64_t iw = 2 * j + q - padLeft;
        out[j] = iw >= 0 && iw < inW ? src[iw] : 0.0f;
      }
    }
  }
}

}  // namespace edgert::kernels::conv
