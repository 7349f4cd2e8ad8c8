// The Unary family (ONNX Neg, Abs, Sqrt, Exp, Log, Reciprocal, Floor, Ceil, Round, Erf, Sign,
// Not, Softplus, Softsign, Elu, Selu, ThresholdedRelu, Sin, Cos, Tan and the other
// trigonometric and hyperbolic functions, Shrink, and Gelu, which the compiler makes of the
// spelled-out Erf form) on float32, computed in double. Neg, Abs and
// Sign also take integer tensors (Neg and Abs wrap: -INT_MIN is INT_MIN, as numpy); Not
// takes bool.
//
// The output may alias input 0: element i is read, then written, and never read again.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace edgert::kernels::ref {
namespace {

bool isInteger(DType t) {
  return t == DType::kInt8 || t == DType::kUint8 || t == DType::kInt32 || t == DType::kInt64;
}

bool takesIntegers(UnaryKind kind) {
  return kind == UnaryKind::kNeg || kind == UnaryKind::kAbs || kind == UnaryKind::kSign;
}

double applyUnary(const UnaryParams& p, double x) {
  const double alpha = p.alpha;
  switch (p.kind) {
    case UnaryKind::kNeg: return -x;
    case UnaryKind::kAbs: return std::fabs(x);
    case UnaryKind::kSqrt: return std::sqrt(x);
    case UnaryKind::kExp: return std::exp(x);
    case UnaryKind::kLog: return std::log(x);
    case UnaryKind::kReciprocal: return 1.0 / x;
    case UnaryKind::kFloor: return std::floor(x);
    case UnaryKind::kCeil: return std::ceil(x);
    case UnaryKind::kRound: return std::nearbyint(x);  // the default rounding mode: ties to even
    case UnaryKind::kErf: return std::erf(x);
    case UnaryKind::kSign: return x > 0 ? 1.0 : (x < 0 ? -1.0 : x);  // keeps 0, -0 and NaN
    case UnaryKind::kNot: return x == 0 ? 1.0 : 0.0;
    case UnaryKind::kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case UnaryKind::kSoftsign: return x / (1.0 + std::fabs(x));
    case UnaryKind::kElu: return x < 0 ? alpha * std::expm1(x) : x;
    case UnaryKind::kSelu: return static_cast<double>(p.beta) * (x <= 0 ? alpha * std::expm1(x) : x);
    case UnaryKind::kThresholdedRelu: return x > alpha ? x : 0.0;
    case UnaryKind::kSin: return std::sin(x);
    case UnaryKind::kCos: return std::cos(x);
    case UnaryKind::kGelu: return 0.5 * x * (1.0 + std::erf(x * 0.70710678118654752440));
    case UnaryKind::kTan: return std::tan(x);
    case UnaryKind::kAsin: return std::asin(x);
    case UnaryKind::kAcos: return std::acos(x);
    case UnaryKind::kAtan: return std::atan(x);
    case UnaryKind::kSinh: return std::sinh(x);
    case UnaryKind::kCosh: return std::cosh(x);
    case UnaryKind::kAsinh: return std::asinh(x);
    case UnaryKind::kAcosh: return std::acosh(x);
    case UnaryKind::kAtanh: return std::atanh(x);
    case UnaryKind::kShrink: return x < -alpha ? x + p.beta : (x > alpha ? x - p.beta : 0.0);
  }
  return x;
}

template <typename T>
void runIntegral(UnaryKind kind, const T* x, T* y, std::int64_t n) {
  using U = std::make_unsigned_t<T>;
  for (std::int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    switch (kind) {
      case UnaryKind::kNeg: y[i] = static_cast<T>(U{0} - static_cast<U>(v)); break;
      case UnaryKind::kAbs: y[i] = v < 0 ? static_cast<T>(U{0} - static_cast<U>(v)) : v; break;
      default: y[i] = static_cast<T>(v > 0 ? 1 : (v < 0 ? -1 : 0)); break;  // kSign
    }
  }
}

}  // namespace

Result<void> inferUnary(const void* params, std::span<const TensorType> inputs,
                        std::span<TensorType> outputs) {
  const auto& p = *static_cast<const UnaryParams*>(params);
  if (static_cast<unsigned>(p.kind) > kMaxUnaryKind) {
    return makeError(Errc::kCorrupt, "Unary: unknown kind {}", static_cast<unsigned>(p.kind));
  }
  const std::string_view name = unaryKindName(p.kind);
  if (p.reserved[0] != 0 || p.reserved[1] != 0 || p.reserved[2] != 0) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", name);
  }
  if (!std::isfinite(p.alpha) || !std::isfinite(p.beta)) {
    return makeError(Errc::kInvalidArgument, "{}: alpha {} and beta {} must be finite", name, p.alpha, p.beta);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, name));
  const TensorType& x = inputs[0];
  const bool ok = p.kind == UnaryKind::kNot ? x.dtype == DType::kBool
                                            : x.dtype == DType::kFloat32 || (takesIntegers(p.kind) && isInteger(x.dtype));
  if (!ok) {
    return makeError(Errc::kUnsupported, "{}: element type {} is not supported, expected {}", name,
                     dtypeName(x.dtype),
                     p.kind == UnaryKind::kNot ? "bool"
                     : takesIntegers(p.kind)   ? "float32 or an integer type"
                                               : "float32");
  }
  outputs[0] = x;
  return success();
}

void runUnary(const KernelArgs& args) {
  const auto& p = *static_cast<const UnaryParams*>(args.params);
  const InTensor& x = args.inputs[0];
  const OutTensor& y = args.outputs[0];
  const std::int64_t n = y.type.shape.numel();
  switch (x.type.dtype) {
    case DType::kFloat32: {
      const float* px = x.as<float>();
      float* py = y.as<float>();
      for (std::int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(applyUnary(p, px[i]));
      break;
    }
    case DType::kBool: {  // Not
      const auto* px = x.as<std::uint8_t>();
      auto* py = y.as<std::uint8_t>();
      for (std::int64_t i = 0; i < n; ++i) py[i] = px[i] == 0 ? 1 : 0;
      break;
    }
    case DType::kInt8: runIntegral(p.kind, x.as<std::int8_t>(), y.as<std::int8_t>(), n); break;
    case DType::kUint8: runIntegral(p.kind, x.as<std::uint8_t>(), y.as<std::uint8_t>(), n); break;
    case DType::kInt32: runIntegral(p.kind, x.as<std::int32_t>(), y.as<std::int32_t>(), n); break;
    case DType::kInt64: runIntegral(p.kind, x.as<std::int64_t>(), y.as<std::int64_t>(), n); break;
  }
}

}  // namespace edgert::kernels::ref
