// Expand's reference kernel: broadcasting to a larger rank and along inner and outer axes,
// other element sizes, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

ExpandParams to(std::initializer_list<std::int64_t> dims) {
  ExpandParams p;
  p.shape = Shape::of(dims);
  return p;
}

TEST(ExpandRef, AColumnToAMatrixAndARowToRank3) {
  const Buffer column = floats(Shape::of({3, 1}), {1, 2, 3});
  ExpandParams p = to({3, 2});
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kExpand, &p, {&column})), (std::vector<float>{1, 1, 2, 2, 3, 3}));
  const Buffer row = tensor<std::int64_t>(DType::kInt64, Shape::of({2}), {7, 8});
  p = to({2, 2, 2});
  const Buffer y = runOp(OpCode::kExpand, &p, {&row});
  EXPECT_EQ(y.type.shape, Shape::of({2, 2, 2}));
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{7, 8, 7, 8, 7, 8, 7, 8}));
  const Buffer b = tensor<std::uint8_t>(DType::kBool, Shape{}, {1});
  p = to({3});
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kExpand, &p, {&b})), (std::vector<std::uint8_t>{1, 1, 1}));
}

TEST(ExpandRef, InferErrors) {
  ExpandParams p = to({3, 3});
  EXPECT_EQ(inferError(OpCode::kExpand, &p, {f32({2, 1})}), "Expand: cannot broadcast 2x1 with 3x3");
  // The parameters hold the final shape: X must not make it larger.
  p = to({1, 3});
  EXPECT_EQ(inferError(OpCode::kExpand, &p, {f32({2, 1})}), "Expand: X 2x1 does not broadcast to 1x3");
  p = to({-1});
  EXPECT_NE(inferError(OpCode::kExpand, &p, {f32({1})}), "ok");
}

}  // namespace
}  // namespace edgert::kernels
