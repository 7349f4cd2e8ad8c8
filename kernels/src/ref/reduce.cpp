// The Reduce family, reference kernel: over the axes whose bit is set in axesMask, kept as
// size-1 axes (keepDims 1) or removed (keepDims 0), the mean, sum, max, min, product, L1 and
// L2 norms, sum of squares, log of the sum, log-sum-exp, or the index of the max or min
// (ArgMax/ArgMin: one axis, int64, the first of equal extremes unless selectLastIndex). An
// empty mask reduces nothing (Y = X, ArgMax excepted): the compiler turns ONNX's "no axes:
// reduce all" into a full mask. Over an empty set (a reduced axis of size 0) the mean is
// NaN, sums 0, the product 1, max -inf and min +inf. Sums are accumulated in double.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace edgert::kernels::ref {
namespace {

bool reduces(std::uint32_t mask, int axis) { return ((mask >> axis) & 1u) != 0; }

}  // namespace

Result<void> inferReduce(const void* params, std::span<const TensorType> inputs,
                         std::span<TensorType> outputs) {
  const auto& p = *static_cast<const ReduceParams*>(params);
  if (static_cast<unsigned>(p.kind) > kMaxReduceKind) {
    return makeError(Errc::kCorrupt, "Reduce: unknown kind {}", static_cast<unsigned>(p.kind));
  }
  const std::string_view kOp = reduceKindName(p.kind);
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  const bool arg = p.kind == ReduceKind::kArgMax || p.kind == ReduceKind::kArgMin;
  if (p.reserved != 0 || p.selectLastIndex > 1 || (!arg && p.selectLastIndex != 0)) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input 0 is {}, expected float32", kOp,
                     dtypeName(x.dtype));
  }
  if (p.keepDims > 1) {
    return makeError(Errc::kCorrupt, "{}: keepDims is {}, expected 0 or 1", kOp, p.keepDims);
  }
  // rank is at most 8 (expectArity), so the shift is defined.
  if ((p.axesMask >> x.shape.rank) != 0) {
    return makeError(Errc::kCorrupt, "{}: axes mask {:#x} names axes beyond X {} (rank {})", kOp,
                     p.axesMask, formatShape(x.shape), x.shape.rank);
  }
  if (arg) {
    if (p.axesMask == 0 || (p.axesMask & (p.axesMask - 1)) != 0) {
      return makeError(Errc::kCorrupt, "{}: axes mask {:#x} must name exactly one axis", kOp, p.axesMask);
    }
    for (int i = 0; i < x.shape.rank; ++i) {
      if (reduces(p.axesMask, i) && x.shape.dims[i] == 0) {
        return makeError(Errc::kInvalidArgument, "{}: axis {} of X {} is empty", kOp, i, formatShape(x.shape));
      }
    }
  }
  Shape y;
  for (int i = 0; i < x.shape.rank; ++i) {
    if (!reduces(p.axesMask, i)) {
      y.dims[y.rank++] = x.shape.dims[i];
    } else if (p.keepDims) {
      y.dims[y.rank++] = 1;
    }
  }
  outputs[0] = TensorType{arg ? DType::kInt64 : DType::kFloat32, y};
  return success();
}

void runReduce(const KernelArgs& args) {
  const auto& p = *static_cast<const ReduceParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();

  // Row-major strides of X, and the kept and reduced axes in order.
  std::int64_t stride[kMaxRank] = {};
  std::int64_t step = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    stride[i] = step;
    step *= s.dims[i];
  }
  int kept[kMaxRank] = {};
  int reduced[kMaxRank] = {};
  int keptCount = 0;
  int reducedCount = 0;
  std::int64_t outCount = 1;
  std::int64_t windowCount = 1;
  for (int i = 0; i < s.rank; ++i) {
    if (reduces(p.axesMask, i)) {
      reduced[reducedCount++] = i;
      windowCount *= s.dims[i];
    } else {
      kept[keptCount++] = i;
      outCount *= s.dims[i];
    }
  }

  // Y's elements in order are X's kept axes in order (keepDims only adds size-1 axes).
  for (std::int64_t o = 0; o < outCount; ++o) {
    std::int64_t base = 0;
    std::int64_t rest = o;
    for (int j = keptCount - 1; j >= 0; --j) {
      base += (rest % s.dims[kept[j]]) * stride[kept[j]];
      rest /= s.dims[kept[j]];
    }
    // The window's elements in order (the reduced axes, last fastest).
    const auto at = [&](std::int64_t r) {
      std::int64_t offset = base;
      for (int j = reducedCount - 1; j >= 0; --j) {
        offset += (r % s.dims[reduced[j]]) * stride[reduced[j]];
        r /= s.dims[reduced[j]];
      }
      return x[offset];
    };
    if (p.kind == ReduceKind::kArgMax || p.kind == ReduceKind::kArgMin) {
      const bool max = p.kind == ReduceKind::kArgMax;
      std::int64_t best = 0;
      float bestValue = at(0);
      for (std::int64_t r = 1; r < windowCount; ++r) {
        const float v = at(r);
        const bool better = max ? v > bestValue : v < bestValue;
        if (better || (p.selectLastIndex && v == bestValue)) {
          best = r;
          bestValue = v;
        }
      }
      args.outputs[0].as<std::int64_t>()[o] = best;
      continue;
    }
    double acc = 0.0;
    switch (p.kind) {
      case ReduceKind::kMax: acc = -std::numeric_limits<double>::infinity(); break;
      case ReduceKind::kMin: acc = std::numeric_limits<double>::infinity(); break;
      case ReduceKind::kProd: acc = 1.0; break;
      default: break;
    }
    double shift = 0.0;  // log-sum-exp: the max, so that no exp overflows
    if (p.kind == ReduceKind::kLogSumExp && windowCount > 0) {
      shift = -std::numeric_limits<double>::infinity();
      for (std::int64_t r = 0; r < windowCount; ++r) shift = std::max(shift, static_cast<double>(at(r)));
      if (!std::isfinite(shift)) shift = 0.0;
    }
    for (std::int64_t r = 0; r < windowCount; ++r) {
      const double v = at(r);
      switch (p.kind) {
        case ReduceKind::kMax: acc = (v > acc || std::isnan(v)) && !std::isnan(acc) ? v : acc; break;
        case ReduceKind::kMin: acc = (v < acc || std::isnan(v)) && !std::isnan(acc) ? v : acc; break;
        case ReduceKind::kProd: acc *= v; break;
        case ReduceKind::kL1: acc += std::fabs(v); break;
        case ReduceKind::kL2:
        case ReduceKind::kSumSquare: acc += v * v; break;
        case ReduceKind::kLogSumExp: acc += std::exp(v - shift); break;
        default: acc += v; break;  // Mean, Sum, LogSum
      }
    }
    double out = acc;
    switch (p.kind) {
      case ReduceKind::kMean:
        out = windowCount == 0 ? std::numeric_limits<double>::quiet_NaN() : acc / static_cast<double>(windowCount);
        break;
      case ReduceKind::kL2: out = std::sqrt(acc); break;
      case ReduceKind::kLogSum: out = std::log(acc); break;
      case ReduceKind::kLogSumExp: out = std::log(acc) + shift; break;
      default: break;
    }
    args.outputs[0].as<float>()[o] = static_cast<float>(out);
  }
}

}  // namespace edgert::kernels::ref
