// MaxPool, reference kernel: the largest input element under each window, padding ignored
// (as if it were -inf). Windows have kernel taps spaced by dilation and start at
// o * stride - padBegin. Output size per spatial axis, with extent = (kernel - 1) * dilation + 1:
//   floor mode: floor((in + padBegin + padEnd - extent) / stride) + 1
//   ceil mode:  ceil((in + padBegin + padEnd - extent) / stride) + 1, minus one when that last
//               window would start in the end padding (it must start inside the input or the
//               begin padding), as ONNX and PyTorch define it.
// Pads must be smaller than the window extent. A window whose dilated taps all miss the input
// (possible only with dilation > 1) yields -inf. 1-D (spatialRank 1) runs on rank-3 tensors
// with H = 1; index 0 of the parameter arrays must then be neutral.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "MaxPool";

Result<void> checkParams(const PoolParams& p) {
  if (p.spatialRank != 1 && p.spatialRank != 2) {
    return makeError(Errc::kCorrupt, "{}: spatial rank {} is not 1 or 2", kOp, p.spatialRank);
  }
  for (int a = 0; a < 2; ++a) {
    if (p.kernel[a] < 1 || p.stride[a] < 1 || p.dilation[a] < 1) {
      return makeError(
          Errc::kCorrupt,
          "{}: kernel {}, stride {}, dilation {} on spatial axis {}: each must be at least 1", kOp,
          p.kernel[a], p.stride[a], p.dilation[a], a);
    }
    const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
    if (p.padBegin[a] < 0 || p.padEnd[a] < 0 || p.padBegin[a] >= extent || p.padEnd[a] >= extent) {
      return makeError(
          Errc::kCorrupt,
          "{}: pads {}, {} on spatial axis {} must be in 0..{} (below the window extent {})", kOp,
          p.padBegin[a], p.padEnd[a], a, extent - 1, extent);
    }
  }
  if (p.spatialRank == 1 && (p.kernel[0] != 1 || p.stride[0] != 1 || p.dilation[0] != 1)) {
    return makeError(Errc::kCorrupt,
                     "{}: 1-D pool needs kernel[0] 1, stride[0] 1, dilation[0] 1, found {}, {}, {}",
                     kOp, p.kernel[0], p.stride[0], p.dilation[0]);
  }
  if (p.ceilMode > 1) {
    return makeError(Errc::kCorrupt, "{}: ceilMode is {}, expected 0 or 1", kOp, p.ceilMode);
  }
  if (p.countIncludePad != 0) {
    return makeError(Errc::kCorrupt, "{}: countIncludePad is {}, expected 0 (AveragePool only)",
                     kOp, p.countIncludePad);
  }
  return success();
}

// Output size of one spatial axis; `axis` is the tensor axis, for messages.
Result<std::int64_t> pooledSize(const PoolParams& p, int a, std::int64_t in, int axis) {
  if (in == 0) return makeError(Errc::kInvalidArgument, "{}: input is empty on axis {}", kOp, axis);
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
                     "{}: window extent {} does not fit padded input {} on axis {}", kOp, extent,
                     in + p.padBegin[a] + p.padEnd[a], axis);
  }
  return out;
}

// The taps j in [begin, end) of a window starting at `start`, with `count` taps spaced by
// `step`, whose positions start + j * step lie in [lo, hi). Empty: begin == end.
struct Taps {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};

Taps tapsWithin(std::int64_t start, std::int64_t count, std::int64_t step, std::int64_t lo,
                std::int64_t hi) {
  if (start >= hi) return {};
  const std::int64_t begin = start >= lo ? 0 : (lo - start + step - 1) / step;
  const std::int64_t end = std::min(count, (hi - 1 - start) / step + 1);
  return begin < end ? Taps{begin, end} : Taps{};
}

std::int64_t spatialDim(const Shape& s, std::int32_t spatialRank, int a) {
  if (spatialRank == 1) return a == 0 ? 1 : s.dims[2];
  return s.dims[2 + a];
}

}  // namespace

Result<void> inferMaxPool(const void* params, std::span<const TensorType> inputs,
                          std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  const auto& p = *static_cast<const PoolParams*>(params);
  EDGERT_TRY(checkParams(p));
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input 0 is {}, expected float32", kOp,
                     dtypeName(x.dtype));
  }
  if (x.shape.rank != 2 + p.spatialRank) {
    return makeError(Errc::kInvalidArgument, "{}: X {} must have rank {} for a {}-D pool", kOp,
                     formatShape(x.shape), 2 + p.spatialRank, p.spatialRank);
  }
  Shape y = x.shape;
  for (int a = 2 - p.spatialRank; a < 2; ++a) {
    const int axis = p.spatialRank == 1 ? 2 : 2 + a;
    EDGERT_ASSIGN_OR_RETURN(y.dims[axis], pooledSize(p, a, x.shape.dims[axis], axis));
  }
  EDGERT_TRY(validateShape(y, kOp));
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runMaxPool(const KernelArgs& args) {
  const auto& p = *static_cast<const PoolParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();

  const std::int64_t planes = xs.dims[0] * xs.dims[1];
  const std::int64_t inH = spatialDim(xs, p.spatialRank, 0);
  const std::int64_t inW = spatialDim(xs, p.spatialRank, 1);
  const std::int64_t outH = spatialDim(ys, p.spatialRank, 0);
  const std::int64_t outW = spatialDim(ys, p.spatialRank, 1);

  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const float* xp = x + plane * inH * inW;
    for (std::int64_t oh = 0; oh < outH; ++oh) {
      const std::int64_t startH = oh * p.stride[0] - p.padBegin[0];
      const Taps th = tapsWithin(startH, p.kernel[0], p.dilation[0], 0, inH);
      for (std::int64_t ow = 0; ow < outW; ++ow) {
        const std::int64_t startW = ow * p.stride[1] - p.padBegin[1];
        const Taps tw = tapsWithin(startW, p.kernel[1], p.dilation[1], 0, inW);
        float best = -std::numeric_limits<float>::infinity();
        for (std::int64_t jh = th.begin; jh < th.end; ++jh) {
          const std::int64_t ih = startH + jh * p.dilation[0];
          for (std::int64_t jw = tw.begin; jw < tw.end; ++jw) {
            const float v = xp[ih * inW + startW + jw * p.dilation[1]];
            if (v > best) best = v;
          }
        }
        y[(plane * outH + oh) * outW + ow] = best;
      }
    }
  }
}

}  // namespace edgert::kernels::ref
