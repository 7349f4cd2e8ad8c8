// GatherElements' reference kernel: the ONNX examples' behaviour on each axis, indices
// smaller than data off the axis, out-of-range indices, infer errors.
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

TEST(GatherElementsRef, EachAxis) {
  const Buffer data = floats(Shape::of({2, 3}), {1, 2, 3, 4, 5, 6});
  // axis 1: y[i][j] = data[i][idx[i][j]]
  const Buffer idx1 = tensor<std::int64_t>(DType::kInt64, Shape::of({2, 2}), {0, 0, 2, -3});
  GatherParams p = along(1);
  Buffer y = runOp(OpCode::kGatherElements, &p, {&data, &idx1});
  EXPECT_EQ(y.type.shape, Shape::of({2, 2}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{1, 1, 6, 4}));
  // axis 0: y[i][j] = data[idx[i][j]][j], indices narrower than data (1x2 of 2x3).
  const Buffer idx0 = tensor<std::int32_t>(DType::kInt32, Shape::of({1, 2}), {1, 0});
  p = along(0);
  y = runOp(OpCode::kGatherElements, &p, {&data, &idx0});
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{4, 2}));
}

TEST(GatherElementsRef, ThreeDimsAndOutOfRangeReadsZero) {
  std::vector<float> values(24);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  const Buffer data = floats(Shape::of({2, 3, 4}), values);
  const Buffer idx = tensor<std::int64_t>(DType::kInt64, Shape::of({2, 1, 2}), {2, 0, 1, 3});
  GatherParams p = along(1);
  // y[i][0][k] = data[i][idx][k]
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kGatherElements, &p, {&data, &idx})), (std::vector<float>{8, 1, 16, 0}));
}

TEST(GatherElementsRef, InferErrors) {
  GatherParams p = along(0);
  EXPECT_EQ(inferError(OpCode::kGatherElements, &p, {f32({2, 3}), TensorType{DType::kInt64, Shape::of({2})}}),
            "GatherElements: indices 2 do not fit data 2x3 off axis 0");
  EXPECT_EQ(inferError(OpCode::kGatherElements, &p, {f32({2, 3}), TensorType{DType::kInt64, Shape::of({5, 4})}}),
            "GatherElements: indices 5x4 do not fit data 2x3 off axis 0");
  TensorType y;
  EXPECT_EQ(inferError(OpCode::kGatherElements, &p, {f32({2, 3}), TensorType{DType::kInt64, Shape::of({5, 3})}}, &y),
            "ok");
  EXPECT_EQ(y.shape, Shape::of({5, 3}));
}

}  // namespace
}  // namespace edgert::kernels
