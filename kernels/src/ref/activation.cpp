// Standalone activation (ONNX Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh)
// on float32, through the same applyActivation the fused epilogues use. Kind kNone is the
// identity (a copy), which the compiler may use for ONNX Identity.
//
// The output may alias input 0: element i is read, then written, and never read again.
#include "ref_ops.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <string_view>

namespace edgert::kernels::ref {
namespace {

// The ONNX op name of a kind, for error messages ("Activation" for an unknown kind).
std::string_view activationOpName(Activation kind) {
  switch (kind) {
    case Activation::kNone: return "Identity";
    case Activation::kRelu: return "Relu";
    case Activation::kLeakyRelu: return "LeakyRelu";
    case Activation::kClip: return "Clip";
    case Activation::kSigmoid: return "Sigmoid";
    case Activation::kHardSigmoid: return "HardSigmoid";
    case Activation::kHardSwish: return "HardSwish";
    case Activation::kTanh: return "Tanh";
  }
  return "Activation";
}

}  // namespace

Result<void> inferActivation(const void* params, std::span<const TensorType> inputs,
                             std::span<TensorType> outputs) {
  const auto& p = *static_cast<const ActivationParams*>(params);
  EDGERT_TRY(validateActivation(p, "Activation"));
  const std::string_view name = activationOpName(p.kind);
  if (p.reserved[0] != 0 || p.reserved[1] != 0 || p.reserved[2] != 0) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", name);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, name));
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: input is {}, expected float32", name,
                     dtypeName(x.dtype));
  }
  outputs[0] = x;
  return success();
}

void runActivation(const KernelArgs& args) {
  const auto& p = *static_cast<const ActivationParams*>(args.params);
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();
  const std::int64_t n = args.outputs[0].type.shape.numel();
  for (std::int64_t i = 0; i < n; ++i) y[i] = applyActivation(p, x[i]);
}

}  // namespace edgert::kernels::ref
