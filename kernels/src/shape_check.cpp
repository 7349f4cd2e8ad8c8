#include "edgert/kernels/shape_check.hpp"

#include <fmt/format.h>

namespace edgert::kernels {

Result<void> validateShape(const Shape& shape, std::string_view op) {
  if (shape.rank < 0 || shape.rank > kMaxRank) {
    return makeError(Errc::kCorrupt, "{}: rank {} outside 0..{}", op, shape.rank, kMaxRank);
  }
  // The bound holds for the product of the non-zero dimensions too: an empty tensor's
  // other dimensions still enter stride arithmetic (0x2^33x2^32 once overflowed a
  // kernel's strides; the model fuzzer found it).
  std::int64_t n = 1;
  for (int i = 0; i < shape.rank; ++i) {
    const std::int64_t d = shape.dims[i];
    if (d < 0 || d > kMaxElements) {
      return makeError(Errc::kCorrupt, "{}: dimension {} is {}", op, i, d);
    }
    if (d != 0 && n > kMaxElements / d) {
      return makeError(Errc::kCorrupt, "{}: shape {} has more than 2^40 elements", op,
                       formatShape(shape));
    }
    if (d != 0) n *= d;
  }
  return success();
}

Result<Shape> broadcastShapes(const Shape& a, const Shape& b, std::string_view op) {
  Shape out;
  out.rank = std::max(a.rank, b.rank);
  for (int i = 0; i < out.rank; ++i) {
    const int ia = i - (out.rank - a.rank);
    const int ib = i - (out.rank - b.rank);
    const std::int64_t da = ia >= 0 ? a.dims[ia] : 1;
    const std::int64_t db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      return makeError(Errc::kInvalidArgument, "{}: cannot broadcast {} with {}", op,
                       formatShape(a), formatShape(b));
    }
    out.dims[i] = da == 1 ? db : da;
  }
  return out;
}

std::string formatShape(const Shape& shape) {
  if (shape.rank <= 0) return "scalar";
  std::string s;
  for (int i = 0; i < shape.rank && i < kMaxRank; ++i) {
    if (i) s += 'x';
    s += fmt::format("{}", shape.dims[i]);
  }
  return s;
}

Result<void> expectArity(std::span<const TensorType> inputs, std::span<TensorType> outputs,
                         int minInputs, int maxInputs, int numOutputs, std::string_view op) {
  const int n = static_cast<int>(inputs.size());
  if (n < minInputs || n > maxInputs) {
    return makeError(Errc::kCorrupt, "{}: expected {}..{} inputs, found {}", op, minInputs,
                     maxInputs, n);
  }
  for (int i = 0; i < minInputs; ++i) {
    if (inputs[static_cast<size_t>(i)].shape.rank == kAbsentRank) {
      return makeError(Errc::kCorrupt, "{}: required input {} is absent", op, i);
    }
  }
  if (static_cast<int>(outputs.size()) != numOutputs) {
    return makeError(Errc::kCorrupt, "{}: expected {} outputs, found {}", op, numOutputs,
                     outputs.size());
  }
  for (const TensorType& t : inputs) {
    if (t.shape.rank == kAbsentRank) continue;
    if (!isValidDType(static_cast<std::uint8_t>(t.dtype))) {
      return makeError(Errc::kCorrupt, "{}: invalid element type {}", op,
                       static_cast<unsigned>(t.dtype));
    }
    EDGERT_TRY(validateShape(t.shape, op));
  }
  return success();
}

}  // namespace edgert::kernels
