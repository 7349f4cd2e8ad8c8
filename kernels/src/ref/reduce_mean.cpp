// ReduceMean, reference kernel: the mean over the axes whose bit is set in axesMask, kept as
// size-1 axes (keepDims 1) or removed (keepDims 0). An empty mask reduces nothing (Y = X):
// the compiler turns ONNX's "no axes: reduce all" into a full mask. The mean of an empty set
// (a reduced axis of size 0) is NaN. Sums are accumulated in double.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <limits>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "ReduceMean";

bool reduces(std::uint32_t mask, int axis) { return ((mask >> axis) & 1u) != 0; }

}  // namespace

Result<void> inferReduceMean(const void* params, std::span<const TensorType> inputs,
                             std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  const auto& p = *static_cast<const ReduceParams*>(params);
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
  Shape y;
  for (int i = 0; i < x.shape.rank; ++i) {
    if (!reduces(p.axesMask, i)) {
      y.dims[y.rank++] = x.shape.dims[i];
    } else if (p.keepDims) {
      y.dims[y.rank++] = 1;
    }
  }
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runReduceMean(const KernelArgs& args) {
  const auto& p = *static_cast<const ReduceParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();

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
    double sum = 0.0;
    for (std::int64_t r = 0; r < windowCount; ++r) {
      std::int64_t offset = base;
      std::int64_t rr = r;
      for (int j = reducedCount - 1; j >= 0; --j) {
        offset += (rr % s.dims[reduced[j]]) * stride[reduced[j]];
        rr /= s.dims[reduced[j]];
      }
      sum += x[offset];
    }
    y[o] = windowCount == 0 ? std::numeric_limits<float>::quiet_NaN()
                            : static_cast<float>(sum / static_cast<double>(windowCount));
  }
}

}  // namespace edgert::kernels::ref
