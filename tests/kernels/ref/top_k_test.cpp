// TopK's reference kernel: largest and smallest along inner and outer axes, ties in index
// order, NaN, k = 0 and k = dim, integers, infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

TopKParams params(std::int32_t axis, std::int64_t k, bool largest) {
  TopKParams p;
  p.axis = axis;
  p.k = k;
  p.largest = largest ? 1 : 0;
  return p;
}

TEST(TopKRef, LargestAndSmallestAlongEachAxisTiesInIndexOrder) {
  const Buffer x = floats(Shape::of({2, 4}), {3, 1, 3, 2, -1, 5, 0, 5});
  TopKParams p = params(1, 3, true);
  auto out = runOpOutputs(OpCode::kTopK, &p, {&x}, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type.shape, Shape::of({2, 3}));
  EXPECT_EQ(out[1].type.dtype, DType::kInt64);
  EXPECT_EQ(valuesOf<float>(out[0]), (std::vector<float>{3, 3, 2, 5, 5, 0}));
  EXPECT_EQ(valuesOf<std::int64_t>(out[1]), (std::vector<std::int64_t>{0, 2, 3, 1, 3, 2}));
  p = params(1, 2, false);
  out = runOpOutputs(OpCode::kTopK, &p, {&x}, 2);
  EXPECT_EQ(valuesOf<float>(out[0]), (std::vector<float>{1, 2, -1, 0}));
  EXPECT_EQ(valuesOf<std::int64_t>(out[1]), (std::vector<std::int64_t>{1, 3, 0, 2}));
  p = params(0, 1, true);  // down the columns
  out = runOpOutputs(OpCode::kTopK, &p, {&x}, 2);
  EXPECT_EQ(valuesOf<float>(out[0]), (std::vector<float>{3, 5, 3, 5}));
  EXPECT_EQ(valuesOf<std::int64_t>(out[1]), (std::vector<std::int64_t>{0, 1, 0, 1}));
}

TEST(TopKRef, NaNIsLargestEmptyAndFullKAndIntegers) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Buffer x = floats(Shape::of({4}), {1, nan, 7, -2});
  TopKParams p = params(0, 2, true);
  auto out = runOpOutputs(OpCode::kTopK, &p, {&x}, 2);
  EXPECT_EQ(valuesOf<std::int64_t>(out[1]), (std::vector<std::int64_t>{1, 2}));
  p = params(0, 4, false);
  out = runOpOutputs(OpCode::kTopK, &p, {&x}, 2);
  EXPECT_EQ(valuesOf<std::int64_t>(out[1]), (std::vector<std::int64_t>{3, 0, 2, 1}));
  p = params(0, 0, true);
  out = runOpOutputs(OpCode::kTopK, &p, {&x}, 2);
  EXPECT_EQ(out[0].type.shape, Shape::of({0}));
  const Buffer ints = tensor<std::int64_t>(DType::kInt64, Shape::of({5}), {4, -9, 1LL << 50, 4, 0});
  p = params(0, 3, true);
  out = runOpOutputs(OpCode::kTopK, &p, {&ints}, 2);
  EXPECT_EQ(valuesOf<std::int64_t>(out[0]), (std::vector<std::int64_t>{1LL << 50, 4, 4}));
  EXPECT_EQ(valuesOf<std::int64_t>(out[1]), (std::vector<std::int64_t>{2, 0, 3}));
}

TEST(TopKRef, InferErrors) {
  const auto error = [](const TopKParams& p, std::vector<TensorType> in) {
    std::vector<TensorType> outs(2);
    const auto r = findOp(OpCode::kTopK)->infer(&p, in, outs);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(error(params(1, 4, true), {f32({2, 3})}), "TopK: k 4 is outside 0..3 (axis 1 of X 2x3)");
  EXPECT_EQ(error(params(2, 1, true), {f32({2, 3})}), "TopK: axis 2 is outside 0..1 for X 2x3");
  EXPECT_EQ(error(params(0, 1, true), {TensorType{DType::kBool, Shape::of({2})}}),
            "TopK: X is bool, expected float32, int32 or int64");
  TopKParams p = params(0, 1, true);
  p.largest = 3;
  EXPECT_EQ(error(p, {f32({2})}), "TopK: largest is 3, expected 0 or 1");
}

}  // namespace
}  // namespace edgert::kernels
