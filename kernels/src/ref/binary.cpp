// Binary elementwise ops (ONNX Add, Sub, Mul, Div) with numpy multidirectional
// broadcasting and an optional fused activation (float32 only).
//
// Integer semantics, chosen to be defined for every input (a corrupt or adversarial model
// must not be able to crash the device):
// - Add, Sub and Mul wrap around on overflow (two's complement), as numpy does.
// - Div truncates toward zero like C. x / 0 is 0, and INT_MIN / -1 wraps to INT_MIN.
//
// The output may alias input 0 or 1 (OpInfo::aliasInputs). The planner only aliases
// an input that has the output's shape. Each output element is then written right after
// the input element at the same index is read, and that input element is not read again.
#include "ref_ops.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace edgert::kernels::ref {
namespace {

std::string_view binaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "Add";
    case BinaryOp::kSub: return "Sub";
    case BinaryOp::kMul: return "Mul";
    case BinaryOp::kDiv: return "Div";
  }
  return "Binary";
}

bool isBinaryDType(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kInt32 || dtype == DType::kInt64 ||
         dtype == DType::kUint8 || dtype == DType::kInt8;
}

template <typename T>
T applyIntegerOp(BinaryOp op, T a, T b) {
  // Arithmetic on the unsigned type wraps instead of overflowing; converting back to a
  // signed type is modular since C++20.
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case BinaryOp::kAdd: return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    case BinaryOp::kSub: return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
    case BinaryOp::kMul: return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    case BinaryOp::kDiv:
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(U{0} - static_cast<U>(a));  // no INT_MIN / -1
      }
      return static_cast<T>(a / b);
  }
  return 0;
}

float applyFloatOp(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
  }
  return 0.0f;
}

// Element strides of `shape` once right-aligned to `rank` dims, 0 along broadcast dims.
void broadcastStrides(const Shape& shape, int rank, std::int64_t (&strides)[kMaxRank]) {
  const int offset = rank - shape.rank;
  std::int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    const int own = i - offset;
    const std::int64_t dim = own >= 0 ? shape.dims[own] : 1;
    strides[i] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
}

template <typename T>
void runTyped(const BinaryParams& p, const InTensor& a, const InTensor& b, const OutTensor& y) {
  const Shape& out = y.type.shape;
  std::int64_t strideA[kMaxRank] = {};
  std::int64_t strideB[kMaxRank] = {};
  broadcastStrides(a.type.shape, out.rank, strideA);
  broadcastStrides(b.type.shape, out.rank, strideB);

  const T* pa = a.as<T>();
  const T* pb = b.as<T>();
  T* py = y.as<T>();
  const std::int64_t n = out.numel();
  for (std::int64_t i = 0; i < n; ++i) {
    // Split the flat output index into coordinates, last axis fastest.
    std::int64_t rest = i;
    std::int64_t offA = 0;
    std::int64_t offB = 0;
    for (int d = out.rank - 1; d >= 0; --d) {
      const std::int64_t coord = rest % out.dims[d];
      rest /= out.dims[d];
      offA += coord * strideA[d];
      offB += coord * strideB[d];
    }
    if constexpr (std::is_same_v<T, float>) {
      py[i] = applyActivation(p.activation, applyFloatOp(p.op, pa[offA], pb[offB]));
    } else {
      py[i] = applyIntegerOp<T>(p.op, pa[offA], pb[offB]);
    }
  }
}

}  // namespace

Result<void> inferBinary(const void* params, std::span<const TensorType> inputs,
                         std::span<TensorType> outputs) {
  const auto& p = *static_cast<const BinaryParams*>(params);
  if (static_cast<unsigned>(p.op) > static_cast<unsigned>(BinaryOp::kDiv)) {
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
  if (!isBinaryDType(a.dtype)) {
    return makeError(Errc::kUnsupported,
                     "{}: element type {} is not supported, expected float32, int32, int64, "
                     "uint8 or int8",
                     name, dtypeName(a.dtype));
  }
  if (b.dtype != a.dtype) {
    return makeError(Errc::kInvalidArgument, "{}: input 1 is {}, expected {} like input 0", name,
                     dtypeName(b.dtype), dtypeName(a.dtype));
  }
  EDGERT_TRY(validateActivation(p.activation, name));
  if (p.activation.kind != Activation::kNone && a.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: fused activation {} needs float32, found {}", name,
                     activationName(p.activation.kind), dtypeName(a.dtype));
  }
  EDGERT_ASSIGN_OR_RETURN(const Shape shape, broadcastShapes(a.shape, b.shape, name));
  // Two valid shapes can broadcast to one that is too large (2^40x1 with 1x2^40).
  EDGERT_TRY(validateShape(shape, name));
  outputs[0] = TensorType{a.dtype, shape};
  return success();
}

void runBinary(const KernelArgs& args) {
  const auto& p = *static_cast<const BinaryParams*>(args.params);
  const InTensor& a = args.inputs[0];
  const InTensor& b = args.inputs[1];
  const OutTensor& y = args.outputs[0];
  switch (y.type.dtype) {
    case DType::kFloat32: runTyped<float>(p, a, b, y); break;
    case DType::kInt32: runTyped<std::int32_t>(p, a, b, y); break;
    case DType::kInt64: runTyped<std::int64_t>(p, a, b, y); break;
    case DType::kUint8: runTyped<std::uint8_t>(p, a, b, y); break;
    case DType::kInt8: runTyped<std::int8_t>(p, a, b, y); break;
    case DType::kBool: break;  // rejected by inferBinary
  }
}

}  // namespace edgert::kernels::ref
