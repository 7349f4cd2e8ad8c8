// MatMul, reference kernel, with numpy.matmul semantics: the last two axes are the matrices
// (M, K) x (K, N), the axes before them are batch axes broadcast against each other; a 1-D A
// is a row vector (1, K) whose M axis is then dropped from Y, a 1-D B a column vector (K, 1)
// whose N axis is dropped. Sums are accumulated in double.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "MatMul";

// The two operands viewed as batches of matrices, batch axes right-aligned to Y's batch.
struct Layout {
  std::int32_t batchRank = 0;
  std::int64_t batch[kMaxRank] = {};   // Y's batch dims
  std::int64_t aBatch[kMaxRank] = {};  // A's batch dims, 1 where A has none
  std::int64_t bBatch[kMaxRank] = {};
  std::int64_t m = 1, k = 1, n = 1;
};

// Assumes the shapes fit (inferMatMul checks that with shapesFit) and ranks >= 1.
Layout layoutOf(const Shape& a, const Shape& b) {
  Layout l;
  l.m = a.rank == 1 ? 1 : a.dims[a.rank - 2];
  l.k = a.dims[a.rank - 1];
  l.n = b.rank == 1 ? 1 : b.dims[b.rank - 1];
  const int aBatchRank = std::max(a.rank - 2, 0);
  const int bBatchRank = std::max(b.rank - 2, 0);
  l.batchRank = std::max(aBatchRank, bBatchRank);
  for (int i = 0; i < l.batchRank; ++i) {
    const int ia = i - (l.batchRank - aBatchRank);
    const int ib = i - (l.batchRank - bBatchRank);
    l.aBatch[i] = ia >= 0 ? a.dims[ia] : 1;
    l.bBatch[i] = ib >= 0 ? b.dims[ib] : 1;
    l.batch[i] = l.aBatch[i] == 1 ? l.bBatch[i] : l.aBatch[i];
  }
  return l;
}

Result<void> shapesFit(const Shape& a, const Shape& b, const Layout& l) {
  const std::int64_t kB = b.rank == 1 ? b.dims[0] : b.dims[b.rank - 2];
  if (l.k != kB) {
    return makeError(Errc::kInvalidArgument,
                     "{}: inner dimensions differ: A {} has K {}, B {} has K {}", kOp,
                     formatShape(a), l.k, formatShape(b), kB);
  }
  for (int i = 0; i < l.batchRank; ++i) {
    if (l.aBatch[i] != l.bBatch[i] && l.aBatch[i] != 1 && l.bBatch[i] != 1) {
      return makeError(Errc::kInvalidArgument,
                       "{}: batch dimensions of A {} and B {} do not broadcast", kOp,
                       formatShape(a), formatShape(b));
    }
  }
  return success();
}

}  // namespace

Result<void> inferMatMul(const void* /*params*/, std::span<const TensorType> inputs,
                         std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 2, 2, 1, kOp));
  for (std::size_t i = 0; i < 2; ++i) {
    if (inputs[i].dtype != DType::kFloat32) {
      return makeError(Errc::kUnsupported, "{}: input {} is {}, expected float32", kOp, i,
                       dtypeName(inputs[i].dtype));
    }
    if (inputs[i].shape.rank < 1) {
      return makeError(Errc::kInvalidArgument, "{}: input {} is a scalar", kOp, i);
    }
  }
  const Shape& a = inputs[0].shape;
  const Shape& b = inputs[1].shape;
  const Layout l = layoutOf(a, b);
  EDGERT_TRY(shapesFit(a, b, l));
  Shape y;
  for (int i = 0; i < l.batchRank; ++i) y.dims[y.rank++] = l.batch[i];
  if (a.rank > 1) y.dims[y.rank++] = l.m;
  if (b.rank > 1) y.dims[y.rank++] = l.n;
  EDGERT_TRY(validateShape(y, kOp));
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runMatMul(const KernelArgs& args) {
  const InTensor& at = args.inputs[0];
  const InTensor& bt = args.inputs[1];
  const float* a = at.as<float>();
  const float* b = bt.as<float>();
  float* y = args.outputs[0].as<float>();
  const Layout l = layoutOf(at.type.shape, bt.type.shape);

  std::int64_t batchCount = 1;
  for (int i = 0; i < l.batchRank; ++i) batchCount *= l.batch[i];

  for (std::int64_t flat = 0; flat < batchCount; ++flat) {
    // Split the flat batch index into per-axis indices (last axis fastest) and find the
    // matrix each operand contributes: index 0 on its broadcast (size 1) axes.
    std::int64_t aMatrix = 0;
    std::int64_t bMatrix = 0;
    std::int64_t rest = flat;
    std::int64_t aScale = 1;
    std::int64_t bScale = 1;
    for (int i = l.batchRank - 1; i >= 0; --i) {
      const std::int64_t index = rest % l.batch[i];
      rest /= l.batch[i];
      if (l.aBatch[i] != 1) aMatrix += index * aScale;
      if (l.bBatch[i] != 1) bMatrix += index * bScale;
      aScale *= l.aBatch[i];
      bScale *= l.bBatch[i];
    }
    const float* am = a + aMatrix * l.m * l.k;
    const float* bm = b + bMatrix * l.k * l.n;
    float* ym = y + flat * l.m * l.n;
    for (std::int64_t i = 0; i < l.m; ++i) {
      for (std::int64_t j = 0; j < l.n; ++j) {
        double sum = 0.0;
        for (std::int64_t t = 0; t < l.k; ++t)
          sum += double{am[i * l.k + t]} * double{bm[t * l.n + j]};
        ym[i * l.n + j] = static_cast<float>(sum);
      }
    }
  }
}

}  // namespace edgert::kernels::ref
