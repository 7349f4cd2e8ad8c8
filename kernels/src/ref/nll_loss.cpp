// NegativeLogLikelihoodLoss, reference kernel (kernels/ops.hpp says what it computes). Sums
// in double. With SoftmaxCrossEntropyLoss (a LogSoftmax before it, made by the compiler) it
// evaluates a classifier against labels on the device.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <limits>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "NegativeLogLikelihoodLoss";

}  // namespace

Result<void> inferNllLoss(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const NllLossParams*>(params);
  if (static_cast<unsigned>(p.reduction) > 2 || p.hasIgnoreIndex > 1) {
    return makeError(Errc::kCorrupt, "{}: reduction {} or ignore flag {} out of range", kOp,
                     static_cast<unsigned>(p.reduction), p.hasIgnoreIndex);
  }
  for (std::uint8_t r : p.reserved) {
    if (r != 0) return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 2, 3, 1, kOp));
  const TensorType& x = inputs[0];
  const TensorType& target = inputs[1];
  if (x.dtype != DType::kFloat32 || x.shape.rank < 2) {
    return makeError(Errc::kInvalidArgument, "{}: input is {} {}, expected float32 N x C x ...", kOp,
                     dtypeName(x.dtype), formatShape(x.shape));
  }
  bool fits = (target.dtype == DType::kInt64 || target.dtype == DType::kInt32) && target.shape.rank == x.shape.rank - 1 &&
              target.shape.dims[0] == x.shape.dims[0];
  for (int i = 1; fits && i < target.shape.rank; ++i) fits = target.shape.dims[i] == x.shape.dims[i + 1];
  if (!fits) {
    return makeError(Errc::kInvalidArgument, "{}: target is {} {}, expected int32 or int64 shaped as input {} without C",
                     kOp, dtypeName(target.dtype), formatShape(target.shape), formatShape(x.shape));
  }
  if (inputs.size() > 2 && inputs[2].shape.rank != kAbsentRank &&
      (inputs[2].dtype != DType::kFloat32 || inputs[2].shape.rank != 1 || inputs[2].shape.dims[0] != x.shape.dims[1])) {
    return makeError(Errc::kInvalidArgument, "{}: weight is {} {}, expected float32 with C = {} values", kOp,
                     dtypeName(inputs[2].dtype), formatShape(inputs[2].shape), x.shape.dims[1]);
  }
  outputs[0] = TensorType{DType::kFloat32, p.reduction == LossReduction::kNone ? target.shape : Shape{}};
  return success();
}

void runNllLoss(const KernelArgs& args) {
  const auto& p = *static_cast<const NllLossParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const std::int64_t n = xs.dims[0];
  const std::int64_t classes = xs.dims[1];
  std::int64_t inner = 1;
  for (int i = 2; i < xs.rank; ++i) inner *= xs.dims[i];
  const float* x = args.inputs[0].as<float>();
  const InTensor& target = args.inputs[1];
  const float* weight = args.inputs.size() > 2 ? args.inputs[2].as<float>() : nullptr;  // nullptr: absent
  float* loss = args.outputs[0].as<float>();
  double sum = 0;
  double weights = 0;
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t d = 0; d < inner; ++d) {
      const std::int64_t at = b * inner + d;
      const std::int64_t t = target.type.dtype == DType::kInt64 ? target.as<std::int64_t>()[at] : target.as<std::int32_t>()[at];
      double value = 0;
      double w = 0;
      if (!(p.hasIgnoreIndex != 0 && t == p.ignoreIndex) && t >= 0 && t < classes) {
        w = weight != nullptr ? weight[t] : 1.0;
        value = -static_cast<double>(x[(b * classes + t) * inner + d]) * w;
      }
      if (p.reduction == LossReduction::kNone) loss[at] = static_cast<float>(value);
      sum += value;
      weights += w;
    }
  }
  if (p.reduction == LossReduction::kSum) loss[0] = static_cast<float>(sum);
  if (p.reduction == LossReduction::kMean) {
    loss[0] = weights != 0 ? static_cast<float>(sum / weights) : std::numeric_limits<float>::quiet_NaN();
  }
}

}  // namespace edgert::kernels::ref
