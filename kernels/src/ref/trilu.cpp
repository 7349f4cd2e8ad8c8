// Trilu, reference kernel: for each matrix of X's last two dims, element (i, j) kept where
// j - i >= k (upper) or j - i <= k (lower), zero elsewhere. Any element type.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cstdint>
#include <cstring>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Trilu";

}  // namespace

Result<void> inferTrilu(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const TriluParams*>(params);
  if (p.upper > 1) return makeError(Errc::kCorrupt, "{}: upper is {}, expected 0 or 1", kOp, p.upper);
  for (std::uint8_t r : p.reserved) {
    if (r != 0) return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 1, 1, 1, kOp));
  if (inputs[0].shape.rank < 2) {
    return makeError(Errc::kInvalidArgument, "{}: X {} has fewer than 2 dims", kOp, formatShape(inputs[0].shape));
  }
  outputs[0] = inputs[0];
  return success();
}

void runTrilu(const KernelArgs& args) {
  const auto& p = *static_cast<const TriluParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  const std::int64_t rows = s.dims[s.rank - 2];
  const std::int64_t cols = s.dims[s.rank - 1];
  const std::size_t element = dtypeSize(args.inputs[0].type.dtype);
  const std::int64_t matrices = rows * cols == 0 ? 0 : s.numel() / (rows * cols);
  const std::byte* x = args.inputs[0].data;
  std::byte* y = args.outputs[0].data;
  for (std::int64_t m = 0; m < matrices; ++m) {
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < cols; ++j) {
        const std::int64_t diagonal = j - i;
        const bool keep = p.upper != 0 ? diagonal >= p.k : diagonal <= p.k;
        const std::size_t at = static_cast<std::size_t>((m * rows + i) * cols + j) * element;
        if (keep) {
          std::memcpy(y + at, x + at, element);
        } else {
          std::memset(y + at, 0, element);
        }
      }
    }
  }
}

}  // namespace edgert::kernels::ref
