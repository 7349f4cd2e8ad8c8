// Gemm, reference kernel: Y = alpha * A' * B' + beta * C, where A' is A or its transpose
// (transA), B' likewise, and C (optional) is unidirectionally broadcast to Y's shape (M, N):
// a scalar, a vector of N or 1, or a matrix (M or 1, N or 1). Sums are accumulated in double.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Gemm";

bool present(std::span<const TensorType> inputs, std::size_t i) {
  return i < inputs.size() && inputs[i].shape.rank != kAbsentRank;
}

// Strides that read C's element for Y(i, j) at c[i * row + j * col]: 0 on broadcast axes.
struct CStrides {
  std::int64_t row = 0;
  std::int64_t col = 0;
};

CStrides cStridesOf(const Shape& c) {
  if (c.rank == 1) return {0, c.dims[0] == 1 ? 0 : 1};
  if (c.rank == 2) return {c.dims[0] == 1 ? 0 : c.dims[1], c.dims[1] == 1 ? 0 : 1};
  return {0, 0};
}

}  // namespace

Result<void> inferGemm(const void* params, std::span<const TensorType> inputs,
                       std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 2, 3, 1, kOp));
  const auto& p = *static_cast<const GemmParams*>(params);
  if (p.transA > 1 || p.transB > 1 || p.hasC > 1) {
    return makeError(Errc::kCorrupt, "{}: transA {}, transB {}, hasC {}: each must be 0 or 1", kOp,
                     p.transA, p.transB, p.hasC);
  }
  if (!std::isfinite(p.alpha) || !std::isfinite(p.beta)) {
    return makeError(Errc::kCorrupt, "{}: alpha {} and beta {} must be finite", kOp, p.alpha,
                     p.beta);
  }
  if ((p.hasC != 0) != present(inputs, 2)) {
    return makeError(Errc::kCorrupt, "{}: hasC is {} but input C is {}", kOp, p.hasC,
                     present(inputs, 2) ? "present" : "absent");
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (present(inputs, i) && inputs[i].dtype != DType::kFloat32) {
      return makeError(Errc::kUnsupported, "{}: input {} is {}, expected float32", kOp, i,
                       dtypeName(inputs[i].dtype));
    }
  }
  const Shape& a = inputs[0].shape;
  const Shape& b = inputs[1].shape;
  if (a.rank != 2 || b.rank != 2) {
    return makeError(Errc::kInvalidArgument, "{}: A {} and B {} must both be matrices", kOp,
                     formatShape(a), formatShape(b));
  }
  const std::int64_t m = p.transA ? a.dims[1] : a.dims[0];
  const std::int64_t k = p.transA ? a.dims[0] : a.dims[1];
  const std::int64_t kB = p.transB ? b.dims[1] : b.dims[0];
  const std::int64_t n = p.transB ? b.dims[0] : b.dims[1];
  if (k != kB) {
    return makeError(
        Errc::kInvalidArgument,
        "{}: inner dimensions differ: A {} (transA {}) has K {}, B {} (transB {}) has K {}", kOp,
        formatShape(a), p.transA, k, formatShape(b), p.transB, kB);
  }
  const Shape y = Shape::of({m, n});
  EDGERT_TRY(validateShape(y, kOp));
  if (p.hasC) {
    const Shape& c = inputs[2].shape;
    const bool fits =
        c.rank == 0 || (c.rank == 1 && (c.dims[0] == 1 || c.dims[0] == n)) ||
        (c.rank == 2 && (c.dims[0] == 1 || c.dims[0] == m) && (c.dims[1] == 1 || c.dims[1] == n));
    if (!fits) {
      return makeError(Errc::kInvalidArgument, "{}: C {} cannot be broadcast to Y {}", kOp,
                       formatShape(c), formatShape(y));
    }
  }
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runGemm(const KernelArgs& args) {
  const auto& p = *static_cast<const GemmParams*>(args.params);
  const Shape& as = args.inputs[0].type.shape;
  const float* a = args.inputs[0].as<float>();
  const float* b = args.inputs[1].as<float>();
  const float* c = p.hasC ? args.inputs[2].as<float>() : nullptr;
  const CStrides cs = p.hasC ? cStridesOf(args.inputs[2].type.shape) : CStrides{};
  const OutTensor& yt = args.outputs[0];
  float* y = yt.as<float>();

  const std::int64_t m = yt.type.shape.dims[0];
  const std::int64_t n = yt.type.shape.dims[1];
  const std::int64_t k = p.transA ? as.dims[0] : as.dims[1];
  // A'(i, l) and B'(l, j) in row-major storage of A and B.
  const auto aAt = [&](std::int64_t i, std::int64_t l) {
    return p.transA ? a[l * m + i] : a[i * k + l];
  };
  const auto bAt = [&](std::int64_t l, std::int64_t j) {
    return p.transB ? b[j * k + l] : b[l * n + j];
  };

  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (std::int64_t l = 0; l < k; ++l) sum += double{aAt(i, l)} * double{bAt(l, j)};
      double value = double{p.alpha} * sum;
      if (c) value += double{p.beta} * double{c[i * cs.row + j * cs.col]};
      y[i * n + j] = static_cast<float>(value);
    }
  }
}

}  // namespace edgert::kernels::ref
