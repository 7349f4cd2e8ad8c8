// The pooling window MaxPool and AveragePool share (max_pool.cpp, average_pool.cpp): the
// checks of PoolParams common to both, the output size of a pooled axis, their infer
// function, and a walk over every output element's window.
//
// Windows have kernel taps spaced by dilation and start at o * stride - padBegin. Output size
// per spatial axis, with extent = (kernel - 1) * dilation + 1:
//   floor mode: floor((in + padBegin + padEnd - extent) / stride) + 1
//   ceil mode:  ceil((in + padBegin + padEnd - extent) / stride) + 1, minus one when that last
//               window would start in the end padding (it must start inside the input or the
//               begin padding), as ONNX and PyTorch define it.
// Pads must be smaller than the window extent. 1-D (spatialRank 1) runs on rank-3 tensors with
// H = 1; index 0 of the parameter arrays must then be neutral.
#pragma once

#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

namespace edgert::kernels::ref {

// Everything in PoolParams both pools check; countIncludePad is each op's own.
inline Result<void> checkPoolWindow(const PoolParams& p, std::string_view op) {
  if (p.spatialRank != 1 && p.spatialRank != 2) {
    return makeError(Errc::kCorrupt, "{}: spatial rank {} is not 1 or 2", op, p.spatialRank);
  }
  for (int a = 0; a < 2; ++a) {
    if (p.kernel[a] < 1 || p.stride[a] < 1 || p.dilation[a] < 1) {
      return makeError(
          Errc::kCorrupt,
          "{}: kernel {}, stride {}, dilation {} on spatial axis {}: each must be at least 1", op,
          p.kernel[a], p.stride[a], p.dilation[a], a);
    }
    const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
    if (p.padBegin[a] < 0 || p.padEnd[a] < 0 || p.padBegin[a] >= extent || p.padEnd[a] >= extent) {
      return makeError(
          Errc::kCorrupt,
          "{}: pads {}, {} on spatial axis {} must be in 0..{} (below the window extent {})", op,
          p.padBegin[a], p.padEnd[a], a, extent - 1, extent);
    }
  }
  if (p.spatialRank == 1 && (p.kernel[0] != 1 || p.stride[0] != 1 || p.dilation[0] != 1)) {
    return makeError(Errc::kCorrupt,
                     "{}: 1-D pool needs kernel[0] 1, stride[0] 1, dilation[0] 1, found {}, {}, {}",
                     op, p.kernel[0], p.stride[0], p.dilation[0]);
  }
  if (p.ceilMode > 1) {
    return makeError(Errc::kCorrupt, "{}: ceilMode is {}, expected 0 or 1", op, p.ceilMode);
  }
  return success();
}

// Output size of spatial axis a (0: H, 1: W) for an input of size `in`; `axis` is the tensor
// axis, for messages.
inline Result<std::int64_t> pooledSize(const PoolParams& p, int a, std::int64_t in, int axis,
                                       std::string_view op) {
  if (in == 0) return makeError(Errc::kInvalidArgument, "{}: input is empty on axis {}", op, axis);
  const std::int64_t stride = p.stride[a];
  const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
  const std::int64_t span = in + p.padBegin[a] + p.padEnd[a] - extent;  // may be negative
  std::int64_t out = 0;
  if (!p.ceilMode) {
    out = span >= 0 ? span / stride + 1 : 0;
  } else {
    // ceil(span / stride) + 1, then drop a last window that starts in the end padding.
    out = span >= 0 ? (span + stride - 1) / stride + 1 : (span > -stride ? 1 : 0);
    if (out > 0 && (out - 1) * stride >= in + p.padBegin[a]) --out;
  }
  if (out < 1) {
    return makeError(Errc::kInvalidArgument,
                     "{}: window extent {} does not fit padded input {} on axis {}", op, extent,
                     in + p.padBegin[a] + p.padEnd[a], axis);
  }
  return out;
}

// The infer function of a pool op named `op`: one float32 input X of rank 2 + spatialRank, Y
// of X's shape with each spatial axis pooled. `checkOwn` checks the op's own parameters, after
// the shared ones.
inline Result<void> inferPool(std::string_view op, Result<void> (*checkOwn)(const PoolParams&),
                              const void* params, std::span<const TensorType> inputs,
                              std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, op));
  const auto& p = *static_cast<const PoolParams*>(params);
  EDGERT_TRY(checkPoolWindow(p, op));
  EDGERT_TRY(checkOwn(p));
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input 0 is {}, expected float32", op,
                     dtypeName(x.dtype));
  }
  if (x.shape.rank != 2 + p.spatialRank) {
    return makeError(Errc::kInvalidArgument, "{}: X {} must have rank {} for a {}-D pool", op,
                     formatShape(x.shape), 2 + p.spatialRank, p.spatialRank);
  }
  Shape y = x.shape;
  for (int a = 2 - p.spatialRank; a < 2; ++a) {
    const int axis = p.spatialRank == 1 ? 2 : 2 + a;
    EDGERT_ASSIGN_OR_RETURN(y.dims[axis], pooledSize(p, a, x.shape.dims[axis], axis, op));
  }
  EDGERT_TRY(validateShape(y, op));
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

// The taps j in [begin, end) of a window starting at `start`, with `count` taps spaced by
// `step`, whose positions start + j * step lie in [lo, hi). Empty: begin == end.
struct Taps {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t count() const { return end - begin; }
};

inline Taps tapsWithin(std::int64_t start, std::int64_t count, std::int64_t step, std::int64_t lo,
                       std::int64_t hi) {
  if (start >= hi) return {};
  const std::int64_t begin = start >= lo ? 0 : (lo - start + step - 1) / step;
  const std::int64_t end = std::min(count, (hi - 1 - start) / step + 1);
  return begin < end ? Taps{begin, end} : Taps{};
}

// One window along one spatial axis: tap j lies at input index start + j * step. `inside`:
// the taps within the input; `padded`: those within the padded input [-padBegin, in + padEnd)
// (the room ceil mode adds past padEnd is not in it).
struct AxisWindow {
  std::int64_t start = 0;
  std::int64_t step = 1;
  Taps inside;
  Taps padded;
};

// Window o of spatial axis a (0: H, 1: W) over an input of size `in`.
inline AxisWindow axisWindow(const PoolParams& p, int a, std::int64_t o, std::int64_t in) {
  const std::int64_t start = o * p.stride[a] - p.padBegin[a];
  return AxisWindow{start, p.dilation[a], tapsWithin(start, p.kernel[a], p.dilation[a], 0, in),
                    tapsWithin(start, p.kernel[a], p.dilation[a], -p.padBegin[a],
                               in + p.padEnd[a])};
}

// The window of one output element over one (n, c) plane of X (row-major, `width` per row).
struct PoolWindow {
  const float* plane = nullptr;
  std::int64_t width = 0;
  AxisWindow h;
  AxisWindow w;

  // Calls visit(x) for each input element under the window, row by row; padding is skipped.
  template <typename Visit>
  void forEachInput(Visit&& visit) const {
    for (std::int64_t jh = h.inside.begin; jh < h.inside.end; ++jh) {
      const float* row = plane + (h.start + jh * h.step) * width;
      for (std::int64_t jw = w.inside.begin; jw < w.inside.end; ++jw) {
        visit(row[w.start + jw * w.step]);
      }
    }
  }
};

// Size of spatial axis a (0: H, 1: W) of a tensor; a 1-D tensor (N, C, W) has H = 1.
inline std::int64_t poolSpatialDim(const Shape& s, std::int32_t spatialRank, int a) {
  if (spatialRank == 1) return a == 0 ? 1 : s.dims[2];
  return s.dims[2 + a];
}

// The kernel of a pool op: Y's element for each window is reduce(const PoolWindow&), for
// every (n, c) plane, in Y's order.
template <typename Reduce>
void poolEachWindow(const KernelArgs& args, Reduce&& reduce) {
  const auto& p = *static_cast<const PoolParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();

  const std::int64_t planes = xs.dims[0] * xs.dims[1];
  const std::int64_t inH = poolSpatialDim(xs, p.spatialRank, 0);
  const std::int64_t inW = poolSpatialDim(xs, p.spatialRank, 1);
  const std::int64_t outH = poolSpatialDim(ys, p.spatialRank, 0);
  const std::int64_t outW = poolSpatialDim(ys, p.spatialRank, 1);

  for (std::int64_t plane = 0; plane < planes; ++plane) {
    PoolWindow window;
    window.plane = x + plane * inH * inW;
    window.width = inW;
    for (std::int64_t oh = 0; oh < outH; ++oh) {
      window.h = axisWindow(p, 0, oh, inH);
      for (std::int64_t ow = 0; ow < outW; ++ow) {
        window.w = axisWindow(p, 1, ow, inW);
        y[(plane * outH + oh) * outW + ow] = reduce(window);
      }
    }
  }
}

}  // namespace edgert::kernels::ref
