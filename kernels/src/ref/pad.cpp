// Pad (ONNX Pad: constant, edge and reflect modes). Along axis i the output has
// padBegin[i] + dim + padEnd[i] elements; output index o holds input index o - padBegin[i]
// when that lies in [0, dim); outside, the constant value, the nearest edge element (edge),
// or the element mirrored about the edge (reflect: -1 reads 1, dim reads dim - 2). A
// negative pad crops, as ONNX allows; a crop larger than the input only leaves constant
// elements. Any dtype.
//
// The value is a float32 in the params; for integer and bool tensors it must be a whole
// number the dtype can hold (the compiler converts ONNX's constant_value, which has the
// tensor's dtype, to float32; the loader rejects a value no conversion could have made).
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace edgert::kernels::ref {
namespace {

// Whether `value` converts exactly to T (a whole number in T's range).
template <typename T>
bool representable(float value) {
  if (!std::isfinite(value) || std::trunc(value) != value) return false;
  // T holds [lowest, 2^digits): both bounds are 0 or powers of two, exact as floats.
  const auto lowest = static_cast<float>(std::numeric_limits<T>::lowest());
  const float pastMax = std::ldexp(1.0f, std::numeric_limits<T>::digits);
  return value >= lowest && value < pastMax;
}

bool valueFits(DType dtype, float value) {
  switch (dtype) {
    case DType::kFloat32: return true;
    case DType::kUint8: return representable<std::uint8_t>(value);
    case DType::kInt8: return representable<std::int8_t>(value);
    case DType::kInt32: return representable<std::int32_t>(value);
    case DType::kInt64: return representable<std::int64_t>(value);
    case DType::kBool: return value == 0.0f || value == 1.0f;
  }
  return false;
}

// The value's bytes in the tensor's dtype (validated by valueFits).
void encodeValue(DType dtype, float value, std::byte (&bytes)[8]) {
  auto put = [&bytes](auto v) { std::memcpy(bytes, &v, sizeof v); };
  switch (dtype) {
    case DType::kFloat32: put(value); break;
    case DType::kUint8: put(static_cast<std::uint8_t>(value)); break;
    case DType::kInt8: put(static_cast<std::int8_t>(value)); break;
    case DType::kInt32: put(static_cast<std::int32_t>(value)); break;
    case DType::kInt64: put(static_cast<std::int64_t>(value)); break;
    case DType::kBool: put(static_cast<std::uint8_t>(value != 0.0f)); break;
  }
}

}  // namespace

Result<void> inferPad(const void* params, std::span<const TensorType> inputs,
                      std::span<TensorType> outputs) {
  const auto& p = *static_cast<const PadParams*>(params);
  if (static_cast<unsigned>(p.mode) > 2 || p.reserved[0] != 0 || p.reserved[1] != 0) {
    return makeError(Errc::kCorrupt, "Pad: mode {} or reserved parameter bytes out of range",
                     static_cast<unsigned>(p.mode));
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, "Pad"));
  const TensorType& x = inputs[0];
  if (p.rank != x.shape.rank) {
    return makeError(Errc::kInvalidArgument, "Pad: params have rank {}, input shape {} has {}",
                     p.rank, formatShape(x.shape), x.shape.rank);
  }
  if (!valueFits(x.dtype, p.value)) {
    return makeError(Errc::kCorrupt, "Pad: value {} is not a {} value",
                     static_cast<double>(p.value), dtypeName(x.dtype));
  }
  Shape out;
  out.rank = p.rank;
  for (int i = 0; i < p.rank; ++i) {
    const std::int64_t begin = p.padBegin[i];
    const std::int64_t end = p.padEnd[i];
    // Bounding each pad keeps every index computation of the kernel far from overflow.
    if (begin < -kMaxElements || begin > kMaxElements || end < -kMaxElements ||
        end > kMaxElements) {
      return makeError(Errc::kCorrupt, "Pad: axis {} pads ({}, {}) are beyond +-2^40", i, begin,
                       end);
    }
    // Edge needs an element to repeat, reflect one more than the pad.
    const std::int64_t most = std::max(begin, end);
    if (most > 0 && ((p.mode == PadMode::kEdge && x.shape.dims[i] < 1) ||
                     (p.mode == PadMode::kReflect && x.shape.dims[i] <= most))) {
      return makeError(Errc::kInvalidArgument, "Pad: axis {} of {} elements cannot be padded by {} in {} mode", i,
                       x.shape.dims[i], most, p.mode == PadMode::kEdge ? "edge" : "reflect");
    }
    const std::int64_t dim = begin + x.shape.dims[i] + end;
    if (dim < 0) {
      return makeError(Errc::kInvalidArgument,
                       "Pad: axis {} pads ({}, {}) crop a dimension of {} to {}", i, begin, end,
                       x.shape.dims[i], dim);
    }
    out.dims[i] = dim;
  }
  EDGERT_TRY(validateShape(out, "Pad"));
  outputs[0] = TensorType{x.dtype, out};
  return success();
}

void runPad(const KernelArgs& args) {
  const auto& p = *static_cast<const PadParams*>(args.params);
  const InTensor& x = args.inputs[0];
  const OutTensor& y = args.outputs[0];
  const Shape& in = x.type.shape;
  const Shape& out = y.type.shape;
  const std::size_t elementBytes = dtypeSize(y.type.dtype);
  std::byte value[8] = {};
  encodeValue(y.type.dtype, p.value, value);

  std::int64_t inStrides[kMaxRank] = {};
  std::int64_t stride = 1;
  for (int i = in.rank - 1; i >= 0; --i) {
    inStrides[i] = stride;
    stride *= in.dims[i];
  }

  const std::int64_t n = out.numel();
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t rest = i;
    std::int64_t src = 0;
    bool inside = true;
    for (int d = out.rank - 1; d >= 0; --d) {
      std::int64_t from = rest % out.dims[d] - p.padBegin[d];
      rest /= out.dims[d];
      if (p.mode == PadMode::kEdge) {
        from = std::clamp<std::int64_t>(from, 0, in.dims[d] - 1);
      } else if (p.mode == PadMode::kReflect) {
        from = from < 0 ? -from : (from >= in.dims[d] ? 2 * (in.dims[d] - 1) - from : from);
      }
      if (from < 0 || from >= in.dims[d]) {
        inside = false;
      } else {
        src += from * inStrides[d];
      }
    }
    std::byte* dst = y.data + static_cast<std::size_t>(i) * elementBytes;
    if (inside) {
      std::memcpy(dst, x.data + static_cast<std::size_t>(src) * elementBytes, elementBytes);
    } else {
      std::memcpy(dst, value, elementBytes);
    }
  }
}

}  // namespace edgert::kernels::ref
