// Standalone activation (ONNX Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh)
// on float32, through the same applyActivation the fused epilogues use. Kind kNone is the
// identity (a copy), which the compiler may use for ONNX Identity. Relu, Clip and the
// identity also take integer tensors (int8, uint8, int32, int64), as ONNX allows: Clip's
// float bounds become the integers ceil(min) and floor(max), saturated to the type.
//
// The output may alias input 0: element i is read, then written, and never read again.
#include "ref_ops.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <limits>
#include <string_view>

namespace edgert::kernels::ref {
namespace {

// The ONNX op name of a kind, for error messages ("Activation" for an unknown kind).
std::string_view activationOpName(Activation kind) {
  if (kind == Activation::kNone) return "Identity";
  const std::string_view name = activationName(kind);
  return name == "invalid" ? "Activation" : name;
}

bool worksOnIntegers(Activation kind) {
  return kind == Activation::kNone || kind == Activation::kRelu || kind == Activation::kClip;
}

bool isInteger(DType t) {
  return t == DType::kInt8 || t == DType::kUint8 || t == DType::kInt32 || t == DType::kInt64;
}

// A float bound as the nearest value of T on the inside of the range, saturated.
template <typename T>
T integerBound(double v) {
  using L = std::numeric_limits<T>;
  if (!(v > static_cast<double>(L::lowest()))) return L::lowest();
  if (v >= static_cast<double>(L::max())) return L::max();
  return static_cast<T>(v);
}

template <typename T>
void runIntegral(const ActivationParams& p, const T* x, T* y, std::int64_t n) {
  T lo = std::numeric_limits<T>::lowest();
  T hi = std::numeric_limits<T>::max();
  if (p.kind == Activation::kClip) {
    lo = integerBound<T>(std::ceil(static_cast<double>(p.alpha)));
    hi = integerBound<T>(std::floor(static_cast<double>(p.beta)));
  } else if (p.kind == Activation::kRelu) {
    lo = 0;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    y[i] = v < lo ? lo : (v > hi ? hi : v);
  }
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
  if (x.dtype != DType::kFloat32 && !(isInteger(x.dtype) && worksOnIntegers(p.kind))) {
    return makeError(Errc::kUnsupported, "{}: input is {}, expected float32{}", name, dtypeName(x.dtype),
                     worksOnIntegers(p.kind) ? " or an integer type" : "");
  }
  outputs[0] = x;
  return success();
}

void runActivation(const KernelArgs& args) {
  const auto& p = *static_cast<const ActivationParams*>(args.params);
  const std::int64_t count = args.outputs[0].type.shape.numel();
  switch (args.inputs[0].type.dtype) {
    case DType::kInt8: return runIntegral(p, args.inputs[0].as<std::int8_t>(), args.outputs[0].as<std::int8_t>(), count);
    case DType::kUint8: return runIntegral(p, args.inputs[0].as<std::uint8_t>(), args.outputs[0].as<std::uint8_t>(), count);
    case DType::kInt32: return runIntegral(p, args.inputs[0].as<std::int32_t>(), args.outputs[0].as<std::int32_t>(), count);
    case DType::kInt64: return runIntegral(p, args.inputs[0].as<std::int64_t>(), args.outputs[0].as<std::int64_t>(), count);
    default: break;
  }
  const float* x = args.inputs[0].as<float>();
  float* y = args.outputs[0].as<float>();
  const std::int64_t n = args.outputs[0].type.shape.numel();
  for (std::int64_t i = 0; i < n; ++i) y[i] = applyActivation(p, x[i]);
}

}  // namespace edgert::kernels::ref
