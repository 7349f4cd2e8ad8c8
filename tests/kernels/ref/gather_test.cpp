// Gather's reference kernel: each axis, negative and out-of-range indices, int32 indices,
// a scalar index, other element types, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

GatherParams along(std::int32_t axis) {
  GatherParams p;
  p.axis = axis;
  return p;
}

TEST(GatherRef, RowsAndColumnsWithNegativeIndices) {
  const Buffer data = floats(Shape::of({3, 2}), {1, 2, 3, 4, 5, 6});
  const Buffer idx = tensor<std::int64_t>(DType::kInt64, Shape::of({2, 2}), {0, -1, 2, 1});
  GatherParams p = along(0);
  Buffer y = runOp(OpCode::kGather, &p, {&data, &idx});
  EXPECT_EQ(y.type.shape, Shape::of({2, 2, 2}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{1, 2, 5, 6, 5, 6, 3, 4}));
  const Buffer cols = tensor<std::int32_t>(DType::kInt32, Shape::of({3}), {1, 1, -2});
  p = along(1);
  y = runOp(OpCode::kGather, &p, {&data, &cols});
  EXPECT_EQ(y.type.shape, Shape::of({3, 3}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{2, 2, 1, 4, 4, 3, 6, 6, 5}));
}

TEST(GatherRef, AScalarIndexDropsTheAxisAndOutOfRangeReadsZero) {
  const Buffer data = tensor<std::int64_t>(DType::kInt64, Shape::of({4}), {10, 20, 30, 40});
  const Buffer one = tensor<std::int64_t>(DType::kInt64, Shape{}, {2});
  GatherParams p = along(0);
  Buffer y = runOp(OpCode::kGather, &p, {&data, &one});
  EXPECT_EQ(y.type.shape.rank, 0);
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{30}));
  const Buffer wild = tensor<std::int64_t>(DType::kInt64, Shape::of({4}), {4, -5, 1LL << 62, -1});
  y = runOp(OpCode::kGather, &p, {&data, &wild});
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{0, 0, 0, 40}));
}

TEST(GatherRef, InferErrors) {
  GatherParams p = along(2);
  const TensorType i64{DType::kInt64, Shape::of({2})};
  EXPECT_EQ(inferError(OpCode::kGather, &p, {f32({2, 3}), i64}), "Gather: axis 2 is outside 0..1 for data 2x3");
  p = along(0);
  EXPECT_EQ(inferError(OpCode::kGather, &p, {f32({2, 3}), f32({2})}),
            "Gather: indices are float32, expected int32 or int64");
  EXPECT_EQ(inferError(OpCode::kGather, &p, {f32({2, 2, 2, 2}), TensorType{DType::kInt64, Shape::of({1, 1, 1, 1, 1, 1})}}),
            "Gather: the output's rank 9 exceeds 8");
}

}  // namespace
}  // namespace edgert::kernels
