// Trilu's reference kernel: upper and lower with positive, negative and huge k on a batch of
// non-square matrices, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

TriluParams params(bool upper, std::int64_t k) {
  TriluParams p;
  p.upper = upper ? 1 : 0;
  p.k = k;
  return p;
}

TEST(TriluRef, UpperAndLowerOfABatch) {
  // Two 2x3 matrices.
  const Buffer x = floats(Shape::of({2, 2, 3}), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  TriluParams p = params(true, 0);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kTrilu, &p, {&x})), (std::vector<float>{1, 2, 3, 0, 5, 6, 7, 8, 9, 0, 11, 12}));
  p = params(true, 1);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kTrilu, &p, {&x})), (std::vector<float>{0, 2, 3, 0, 0, 6, 0, 8, 9, 0, 0, 12}));
  p = params(false, 0);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kTrilu, &p, {&x})), (std::vector<float>{1, 0, 0, 4, 5, 0, 7, 0, 0, 10, 11, 0}));
  p = params(false, -1);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kTrilu, &p, {&x})), (std::vector<float>{0, 0, 0, 4, 0, 0, 0, 0, 0, 10, 0, 0}));
  p = params(true, -100);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kTrilu, &p, {&x})), valuesOf<float>(x));
  p = params(false, -(1LL << 62));
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kTrilu, &p, {&x})), std::vector<float>(12, 0.0f));
}

TEST(TriluRef, InferErrors) {
  TriluParams p = params(true, 0);
  EXPECT_EQ(inferError(OpCode::kTrilu, &p, {f32({3})}), "Trilu: X 3 has fewer than 2 dims");
  p.upper = 2;
  EXPECT_EQ(inferError(OpCode::kTrilu, &p, {f32({3, 3})}), "Trilu: upper is 2, expected 0 or 1");
  p = params(true, 0);
  p.reserved[6] = 1;
  EXPECT_EQ(inferError(OpCode::kTrilu, &p, {f32({3, 3})}), "Trilu: reserved parameter bytes are not zero");
}

}  // namespace
}  // namespace edgert::kernels
