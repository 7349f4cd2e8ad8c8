// Where's reference kernel: three-way broadcasting, element types of every size, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

const WhereParams kParams{};

TEST(WhereRef, BroadcastsConditionXAndY) {
  // condition 2x1, X 1x3, Y scalar -> 2x3.
  const Buffer c = tensor<std::uint8_t>(DType::kBool, Shape::of({2, 1}), {1, 0});
  const Buffer x = floats(Shape::of({1, 3}), {1, 2, 3});
  const Buffer y = floats(Shape{}, {-1});
  const Buffer z = runOp(OpCode::kWhere, &kParams, {&c, &x, &y});
  EXPECT_EQ(z.type.shape, Shape::of({2, 3}));
  EXPECT_EQ(valuesOf<float>(z), (std::vector<float>{1, 2, 3, -1, -1, -1}));
}

TEST(WhereRef, EveryElementSize) {
  const Buffer c = tensor<std::uint8_t>(DType::kBool, Shape::of({4}), {0, 1, 1, 0});
  const Buffer x8 = tensor<std::int8_t>(DType::kInt8, Shape::of({4}), {1, 2, 3, 4});
  const Buffer y8 = tensor<std::int8_t>(DType::kInt8, Shape::of({4}), {-1, -2, -3, -4});
  EXPECT_EQ(valuesOf<std::int8_t>(runOp(OpCode::kWhere, &kParams, {&c, &x8, &y8})),
            (std::vector<std::int8_t>{-1, 2, 3, -4}));
  const Buffer x64 = tensor<std::int64_t>(DType::kInt64, Shape::of({4}), {1LL << 40, 2, 3, 4});
  const Buffer y64 = tensor<std::int64_t>(DType::kInt64, Shape::of({1}), {-7});
  EXPECT_EQ(valuesOf<std::int64_t>(runOp(OpCode::kWhere, &kParams, {&c, &x64, &y64})),
            (std::vector<std::int64_t>{-7, 2, 3, -7}));
  // A true byte other than 1 still selects X.
  const Buffer c2 = tensor<std::uint8_t>(DType::kBool, Shape::of({4}), {0, 2, 255, 0});
  EXPECT_EQ(valuesOf<std::int8_t>(runOp(OpCode::kWhere, &kParams, {&c2, &x8, &y8})),
            (std::vector<std::int8_t>{-1, 2, 3, -4}));
}

TEST(WhereRef, InferErrors) {
  const TensorType b{DType::kBool, Shape::of({2, 3})};
  EXPECT_EQ(inferError(OpCode::kWhere, &kParams, {f32({2, 3}), f32({2, 3}), f32({2, 3})}),
            "Where: the condition is float32, expected bool");
  EXPECT_EQ(inferError(OpCode::kWhere, &kParams, {b, f32({2, 3}), TensorType{DType::kInt64, Shape::of({2, 3})}}),
            "Where: X is float32 and Y is int64, expected one type");
  EXPECT_EQ(inferError(OpCode::kWhere, &kParams, {b, f32({2, 4}), f32({2, 4})}),
            "Where: cannot broadcast 2x3 with 2x4");
  WhereParams bad;
  bad.reserved = 1;
  EXPECT_EQ(inferError(OpCode::kWhere, &bad, {b, f32({2, 3}), f32({2, 3})}),
            "Where: reserved parameter bytes are not zero");
}

}  // namespace
}  // namespace edgert::kernels
