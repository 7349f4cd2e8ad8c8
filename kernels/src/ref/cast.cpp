// Cast, reference kernel: each element converted to another element type.
//   float32 -> integer: truncated toward zero, saturated at the type's limits, NaN -> 0
//                       (C++ leaves an out-of-range conversion undefined; a device must not)
//   anything -> bool:   x != 0 (NaN is true, as numpy)
//   integer -> integer: two's complement wrap, as numpy's astype
//   bool -> anything:   0 or 1
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Cast";

template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{0};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return 0;
    const double t = std::trunc(static_cast<double>(v));
    // min and max + 1 are powers of two (or 0), exact as doubles.
    if (t <= static_cast<double>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    if (t >= static_cast<double>(std::numeric_limits<To>::max()) + 1.0) return std::numeric_limits<To>::max();
    return static_cast<To>(t);
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To>) {
    // Wrap: through the unsigned type of the target's width (well defined since C++20).
    return static_cast<To>(static_cast<std::make_unsigned_t<To>>(v));
  } else {
    return static_cast<To>(v);
  }
}

template <typename From, typename To>
void castAll(const From* x, To* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<From, bool>) {
      // A bool byte other than 0 or 1 (an input a caller filled) still counts as true.
      y[i] = static_cast<To>(reinterpret_cast<const std::uint8_t*>(x)[i] != 0 ? 1 : 0);
    } else {
      y[i] = convert<To>(x[i]);
    }
  }
}

template <typename From>
void castFrom(const From* x, const OutTensor& y, std::int64_t n) {
  switch (y.type.dtype) {
    case DType::kFloat32: castAll(x, y.as<float>(), n); break;
    case DType::kUint8: castAll(x, y.as<std::uint8_t>(), n); break;
    case DType::kInt8: castAll(x, y.as<std::int8_t>(), n); break;
    case DType::kInt32: castAll(x, y.as<std::int32_t>(), n); break;
    case DType::kInt64: castAll(x, y.as<std::int64_t>(), n); break;
    case DType::kBool: castAll(x, y.as<bool>(), n); break;
  }
}

}  // namespace

Result<void> inferCast(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const CastParams*>(params);
  if (p.reserved[0] != 0 || p.reserved[1] != 0 || p.reserved[2] != 0) {
    return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  if (!isValidDType(static_cast<std::uint8_t>(p.to))) {
    return makeError(Errc::kCorrupt, "{}: unknown target element type {}", kOp, static_cast<unsigned>(p.to));
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  outputs[0] = TensorType{p.to, inputs[0].shape};
  return success();
}

void runCast(const KernelArgs& args) {
  const InTensor& x = args.inputs[0];
  const OutTensor& y = args.outputs[0];
  const std::int64_t n = y.type.shape.numel();
  switch (x.type.dtype) {
    case DType::kFloat32: castFrom(x.as<float>(), y, n); break;
    case DType::kUint8: castFrom(x.as<std::uint8_t>(), y, n); break;
    case DType::kInt8: castFrom(x.as<std::int8_t>(), y, n); break;
    case DType::kInt32: castFrom(x.as<std::int32_t>(), y, n); break;
    case DType::kInt64: castFrom(x.as<std::int64_t>(), y, n); break;
    case DType::kBool: castFrom(x.as<bool>(), y, n); break;
  }
}

}  // namespace edgert::kernels::ref
