// The Binary family (ONNX Add, Sub, Mul, Div, Pow, Min, Max, Sum and Mean as chains, PRelu,
// Mod, Equal, Less, LessOrEqual, Greater, GreaterOrEqual, And, Or, Xor) with numpy
// multidirectional broadcasting and, on float32 arithmetic, an optional fused activation.
//
// Integer semantics, chosen to be defined for every input (a corrupt or adversarial model
// must not be able to crash the device):
// - Add, Sub, Mul and Pow wrap around on overflow (two's complement), as numpy does.
// - Div truncates toward zero like C. x / 0 is 0, and INT_MIN / -1 wraps to INT_MIN.
// - Mod and Fmod by 0 are 0; x^negative is 0 unless x is 1 or -1.
// Float Min and Max give NaN when either input is NaN (numpy's minimum and maximum).
//
// The output may alias input 0 or 1 (OpInfo::aliasInputs). The planner only aliases
// an input that has the output's shape and type. Each output element is then written right
// after the input element at the same index is read, and that input element is not read
// again.
#include "ref_ops.hpp"

#include "broadcast.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace edgert::kernels::ref {
namespace {

bool isComparison(BinaryOp op) { return op >= BinaryOp::kEqual && op <= BinaryOp::kGreaterOrEqual; }
bool isLogical(BinaryOp op) { return op >= BinaryOp::kAnd && op <= BinaryOp::kXor; }

bool isNumeric(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kInt32 || dtype == DType::kInt64 ||
         dtype == DType::kUint8 || dtype == DType::kInt8;
}

template <typename T>
T wrapMul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}

template <typename T>
T integerPow(T base, T exponent) {
  if constexpr (std::is_signed_v<T>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent % 2 == 0) ? 1 : -1;
      return 0;
    }
  }
  T result = 1;
  // Square-and-multiply: at most 64 rounds whatever the exponent.
  for (auto e = static_cast<std::make_unsigned_t<T>>(exponent); e != 0; e >>= 1) {
    if (e & 1u) result = wrapMul(result, base);
    base = wrapMul(base, base);
  }
  return result;
}

template <typename T>
T applyIntegerOp(BinaryOp op, T a, T b) {
  // Arithmetic on the unsigned type wraps instead of overflowing; converting back to a
  // signed type is modular since C++20.
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case BinaryOp::kAdd: return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    case BinaryOp::kSub: return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
    case BinaryOp::kMul: return wrapMul(a, b);
    case BinaryOp::kDiv:
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(U{0} - static_cast<U>(a));  // no INT_MIN / -1
      }
      return static_cast<T>(a / b);
    case BinaryOp::kPow: return integerPow(a, b);
    case BinaryOp::kMin: return a < b ? a : b;
    case BinaryOp::kMax: return a < b ? b : a;
    case BinaryOp::kPRelu: return a < 0 ? wrapMul(a, b) : a;
    case BinaryOp::kMod:
    case BinaryOp::kFmod: {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return 0;  // no INT_MIN % -1
      }
      T r = static_cast<T>(a % b);
      if constexpr (std::is_signed_v<T>) {
        if (op == BinaryOp::kMod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      }
      return r;
    }
    default: return 0;  // comparisons and logic are not computed here
  }
}

float applyFloatOp(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kPow: return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    case BinaryOp::kMin: return std::isnan(a) || std::isnan(b) ? a + b : (a < b ? a : b);
    case BinaryOp::kMax: return std::isnan(a) || std::isnan(b) ? a + b : (a < b ? b : a);
    case BinaryOp::kPRelu: return a < 0.0f ? a * b : a;
    case BinaryOp::kMod:
    case BinaryOp::kFmod: return std::fmod(a, b);
    default: return 0.0f;
  }
}

template <typename T>
bool compare(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::kEqual: return a == b;
    case BinaryOp::kLess: return a < b;
    case BinaryOp::kLessOrEqual: return a <= b;
    case BinaryOp::kGreater: return a > b;
    case BinaryOp::kGreaterOrEqual: return a >= b;
    case BinaryOp::kAnd: return a != 0 && b != 0;
    case BinaryOp::kOr: return a != 0 || b != 0;
    case BinaryOp::kXor: return (a != 0) != (b != 0);
    default: return false;
  }
}

template <typename T>
void runTyped(const BinaryParams& p, const InTensor& a, const InTensor& b, const OutTensor& y) {
  const T* pa = a.as<T>();
  const T* pb = b.as<T>();
  if (isComparison(p.op) || isLogical(p.op)) {
    auto* py = y.as<std::uint8_t>();
    forEachBroadcast<2>({&a.type.shape, &b.type.shape}, y.type.shape, [&](std::int64_t i, const auto& off) {
      py[i] = compare<T>(p.op, pa[off[0]], pb[off[1]]) ? 1 : 0;
    });
    return;
  }
  T* py = y.as<T>();
  forEachBroadcast<2>({&a.type.shape, &b.type.shape}, y.type.shape, [&](std::int64_t i, const auto& off) {
    if constexpr (std::is_same_v<T, float>) {
      py[i] = applyActivation(p.activation, applyFloatOp(p.op, pa[off[0]], pb[off[1]]));
    } else {
      py[i] = applyIntegerOp<T>(p.op, pa[off[0]], pb[off[1]]);
    }
  });
}

}  // namespace

Result<void> inferBinary(const void* params, std::span<const TensorType> inputs,
                         std::span<TensorType> outputs) {
  const auto& p = *static_cast<const BinaryParams*>(params);
  if (static_cast<unsigned>(p.op) > kMaxBinaryOp) {
    return makeError(Errc::kCorrupt, "Binary: unknown operation {}", static_cast<unsigned>(p.op));
  }
  const std::string_view name = binaryOpName(p.op);
  if (p.reserved[0] != 0 || p.reserved[1] != 0 || p.reserved[2] != 0 ||
      p.activation.reserved[0] != 0 || p.activation.reserved[1] != 0 ||
      p.activation.reserved[2] != 0) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", name);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 2, 2, 1, name));
  const TensorType& a = inputs[0];
  const TensorType& b = inputs[1];
  if (isLogical(p.op)) {
    if (a.dtype != DType::kBool) {
      return makeError(Errc::kUnsupported, "{}: element type {} is not supported, expected bool", name,
                       dtypeName(a.dtype));
    }
  } else if (!isNumeric(a.dtype) && !(p.op == BinaryOp::kEqual && a.dtype == DType::kBool)) {
    return makeError(Errc::kUnsupported,
                     "{}: element type {} is not supported, expected float32, int32, int64, "
                     "uint8 or int8",
                     name, dtypeName(a.dtype));
  }
  if (b.dtype != a.dtype) {
    // ONNX Pow may raise to another type; edgert's Pow takes one.
    return makeError(p.op == BinaryOp::kPow ? Errc::kUnsupported : Errc::kInvalidArgument,
                     "{}: input 1 is {}, expected {} like input 0", name, dtypeName(b.dtype),
                     dtypeName(a.dtype));
  }
  if (p.op == BinaryOp::kMod && a.dtype == DType::kFloat32) {
    return makeError(Errc::kInvalidArgument, "{}: float32 needs fmod (the sign of the dividend)", name);
  }
  EDGERT_TRY(validateActivation(p.activation, name));
  const bool givesBool = isComparison(p.op) || isLogical(p.op);
  if (p.activation.kind != Activation::kNone && (a.dtype != DType::kFloat32 || givesBool)) {
    return makeError(Errc::kUnsupported, "{}: fused activation {} needs float32, found {}", name,
                     activationName(p.activation.kind), dtypeName(givesBool ? DType::kBool : a.dtype));
  }
  EDGERT_ASSIGN_OR_RETURN(const Shape shape, broadcastShapes(a.shape, b.shape, name));
  // Two valid shapes can broadcast to one that is too large (2^40x1 with 1x2^40).
  EDGERT_TRY(validateShape(shape, name));
  outputs[0] = TensorType{givesBool ? DType::kBool : a.dtype, shape};
  return success();
}

void runBinary(const KernelArgs& args) {
  const auto& p = *static_cast<const BinaryParams*>(args.params);
  const InTensor& a = args.inputs[0];
  const InTensor& b = args.inputs[1];
  const OutTensor& y = args.outputs[0];
  switch (a.type.dtype) {
    case DType::kFloat32: runTyped<float>(p, a, b, y); break;
    case DType::kInt32: runTyped<std::int32_t>(p, a, b, y); break;
    case DType::kInt64: runTyped<std::int64_t>(p, a, b, y); break;
    case DType::kUint8: runTyped<std::uint8_t>(p, a, b, y); break;
    case DType::kInt8: runTyped<std::int8_t>(p, a, b, y); break;
    case DType::kBool: runTyped<std::uint8_t>(p, a, b, y); break;  // Equal, And, Or, Xor
  }
}

}  // namespace edgert::kernels::ref
