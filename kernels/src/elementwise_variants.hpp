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
//   GlobalAveragePool, portable: eight double lanes per plane (vectorized) instead of one
//     dependent chain. Concat (any type), portable: the reference's copies.
// All of them split their work over the worker pool, each output element computed exactly
// as on one thread.
// Kernels never allocate and never fail; the tables they need live on the stack or in
// scratch planned by the compiler.
#pragma once

#include "edgert/kernels/parallel.hpp"
#include "edgert/kernels/registry.hpp"

#include <algorithm>
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

// Output elements of the plan.
inline std::int64_t binaryElements(const BinaryPlan& plan) {
  std::int64_t total = plan.rank == 0 ? 0 : 1;
  for (int d = 0; d < plan.rank; ++d) total *= plan.dims[d];
  return total;
}

// Calls row(a, b, y, count, kind) for the part of every row that lies in output elements
// [begin, end): the first row's position found by division once, the following ones by
// counters.
template <typename T, typename Row>
void forEachBinaryRowIn(const BinaryPlan& plan, const T* a, const T* b, T* y, std::int64_t begin,
                        std::int64_t end, Row row) {
  if (plan.rank == 0 || begin >= end) return;
  const int outer = plan.rank - 1;
  const std::int64_t n = plan.dims[outer];
  std::int64_t index[kMaxRank] = {};
  std::int64_t offA = 0;
  std::int64_t offB = 0;
  std::int64_t rest = begin / n;
  for (int d = outer - 1; d >= 0; --d) {
    index[d] = rest % plan.dims[d];
    rest /= plan.dims[d];
    offA += index[d] * plan.strideA[d];
    offB += index[d] * plan.strideB[d];
  }
  std::int64_t column = begin % n;
  for (std::int64_t e = begin; e < end; column = 0) {
    const std::int64_t count = std::min(n - column, end - e);
    row(a + offA + (plan.kind == RowKind::kRepeatA ? 0 : column),
        b + offB + (plan.kind == RowKind::kRepeatB ? 0 : column), y + e, count, plan.kind);
    e += count;
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

// Splits the output's elements [0, total) into `tasks` ranges on multiples of 16 elements
// (whole vectors of every ISA, so that each range ends where a vector loop would):
// range t is [splitBegin(t), splitBegin(t + 1)). (total <= 2^40 elements and tasks <=
// taskCount's few per thread: the product does not overflow.)
inline std::int64_t splitBegin(std::int64_t total, std::int64_t tasks, std::int64_t t) {
  return t >= tasks ? total : total * t / tasks / 16 * 16;
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

// GlobalAveragePool: eight double accumulators per plane instead of one; planes split over
// the pool. Concat: the reference's copies split over the pool by output bytes.
void runGlobalAveragePoolPortable(const KernelArgs& args);
void runConcatPortable(const KernelArgs& args);

namespace x86 {
void runBinary(const KernelArgs& args);
}  // namespace x86

namespace neon {
void runBinary(const KernelArgs& args);
}  // namespace neon

}  // namespace edgert::kernels::elementwise
