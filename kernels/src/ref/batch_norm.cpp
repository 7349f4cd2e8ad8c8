// BatchNormalization, reference kernel, inference form:
//   Y = scale * (X - mean) / sqrt(var + epsilon) + B, per channel (axis 1),
// with scale, B, mean and var 1-D of X's channel count. Computed per element in double.
// Y may share X's buffer (OpInfo): each element is read before it is written.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "BatchNormalization";
constexpr std::string_view kInputNames[] = {"X", "scale", "B", "mean", "var"};

}  // namespace

Result<void> inferBatchNorm(const void* params, std::span<const TensorType> inputs,
                            std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 5, 5, 1, kOp));
  const auto& p = *static_cast<const BatchNormParams*>(params);
  if (!std::isfinite(p.epsilon) || p.epsilon < 0.0f) {
    return makeError(Errc::kCorrupt, "{}: epsilon {} is not a finite value >= 0", kOp, p.epsilon);
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype != DType::kFloat32) {
      return makeError(Errc::kUnsupported, "{}: input {} ({}) is {}, expected float32", kOp, i,
                       kInputNames[i], dtypeName(inputs[i].dtype));
    }
  }
  const Shape& x = inputs[0].shape;
  if (x.rank < 2) {
    return makeError(Errc::kInvalidArgument, "{}: X {} has no channel axis (rank {} < 2)", kOp,
                     formatShape(x), x.rank);
  }
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i].shape;
    if (s.rank != 1 || s.dims[0] != x.dims[1]) {
      return makeError(Errc::kInvalidArgument, "{}: {} {} does not match the {} channels of X {}",
                       kOp, kInputNames[i], formatShape(s), x.dims[1], formatShape(x));
    }
  }
  outputs[0] = inputs[0];
  return success();
}

void runBatchNorm(const KernelArgs& args) {
  const auto& p = *static_cast<const BatchNormParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  const float* scale = args.inputs[1].as<float>();
  const float* bias = args.inputs[2].as<float>();
  const float* mean = args.inputs[3].as<float>();
  const float* var = args.inputs[4].as<float>();
  float* y = args.outputs[0].as<float>();

  const std::int64_t batch = s.dims[0];
  const std::int64_t channels = s.dims[1];
  std::int64_t spatial = 1;
  for (int i = 2; i < s.rank; ++i) spatial *= s.dims[i];

  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const double stddev = std::sqrt(double{var[c]} + double{p.epsilon});
      for (std::int64_t i = 0; i < spatial; ++i) {
        const std::int64_t at = (n * channels + c) * spatial + i;
        y[at] = static_cast<float>(double{scale[c]} * (double{x[at]} - double{mean[c]}) / stddev +
                                   double{bias[c]});
      }
    }
  }
}

}  // namespace edgert::kernels::ref
