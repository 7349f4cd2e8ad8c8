// The fast variants of the ops other than Conv: where each applies (portable: the compiler
// on an x86-64 host chooses NEON variants for an aarch64 image), the drivers both ISAs
// share, and the kernels themselves.
//
//   Binary (float32, any op, any fused activation, any broadcast): the output is walked as
//     rows of its innermost axis after merging axes that broadcast alike (planBinary); each
//     row is one of three loops: both operands contiguous, b repeated (a scalar, a
//     per-channel [1,C,1,1] value), or a repeated. ISA kernels supply the row loops.
//   Transpose (any type, any perm), portable: whole output rows with the source offset
//     advanced by counters, no division per element.
//   MaxPool (float32, 2-D, any window), portable: the window clipped once per output row
//     and column instead of tested per tap.
//   Resize (float32, nearest, any rank), portable: the source index of every output
//     position computed once per axis, then rows gathered.
// Kernels never allocate and never fail; the tables they need live on the stack or in
// scratch planned by the compiler.
#pragma once

#include "edgert/kernels/registry.hpp"

#include <cstdint>

namespace edgert::kernels::elementwise {

// --- Binary -------------------------------------------------------------------------------

// How the operand of one row is read: contiguous, or one element repeated.
enum class RowKind : std::uint8_t { kBoth, kRepeatB, kRepeatA };

// The output as rows: dims[rank - 1] elements each, the outer axes walked with element
// strides for a and b (0 along a broadcast axis). Axes of size 1 are dropped and neighbours
// that step alike in both operands are merged, so a same-shape op is one row and an NCHW
// per-channel op is C rows of H * W.
struct BinaryPlan {
  int rank = 0;  // 0: the output is empty
  std::int64_t dims[kMaxRank] = {};
  std::int64_t strideA[kMaxRank] = {};
  std::int64_t strideB[kMaxRank] = {};
  RowKind kind = RowKind::kBoth;
};

BinaryPlan planBinary(const Shape& a, const Shape& b, const Shape& y);

// float32 only: integer Binary ops keep the reference kernel.
bool binaryApplies(const void* params, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs);

// Calls row(a, b, y, n, kind) for every row of the plan, offsets advanced by counters.
template <typename T, typename Row>
void forEachBinaryRow(const BinaryPlan& plan, const T* a, const T* b, T* y, Row row) {
  if (plan.rank == 0) return;
  const int outer = plan.rank - 1;
  const std::int64_t n = plan.dims[outer];
  std::int64_t rows = 1;
  for (int d = 0; d < outer; ++d) rows *= plan.dims[d];
  std::int64_t index[kMaxRank] = {};
  std::int64_t offA = 0;
  std::int64_t offB = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    row(a + offA, b + offB, y + r * n, n, plan.kind);
    for (int d = outer - 1; d >= 0; --d) {
      offA += plan.strideA[d];
      offB += plan.strideB[d];
      if (++index[d] < plan.dims[d]) break;
      offA -= plan.strideA[d] * plan.dims[d];
      offB -= plan.strideB[d] * plan.dims[d];
      index[d] = 0;
    }
  }
}

void runBinaryPortable(const KernelArgs& args);

// --- Transpose, MaxPool, Resize (portable) ---------------------------------------------------

void runTransposePortable(const KernelArgs& args);

// 2-D pools (rank-4 NCHW) only; 1-D pools keep the reference.
bool maxPoolApplies(const void* params, std::span<const TensorType> inputs,
                    std::span<const TensorType> outputs);
void runMaxPoolPortable(const KernelArgs& args);

// Nearest mode only.
bool resizeNearestApplies(const void* params, std::span<const TensorType> inputs,
                          std::span<const TensorType> outputs);
// The source index tables, one int64 per output position of every axis.
std::uint64_t resizeNearestScratch(const void* params, std::span<const TensorType> inputs,
                                   std::span<const TensorType> outputs);
void runResizeNearestPortable(const KernelArgs& args);

namespace x86 {
void runBinary(const KernelArgs& args);
}  // namespace x86

namespace neon {
void runBinary(const KernelArgs& args);
}  // namespace neon

}  // namespace edgert::kernels::elementwise
