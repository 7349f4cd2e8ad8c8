// Cast's reference kernel: truncation and saturation from float32, NaN, wrapping between
// integers, bool both ways.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

CastParams to(DType dtype) {
  CastParams p;
  p.to = dtype;
  return p;
}

TEST(CastRef, FloatToIntegersTruncatesAndSaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const Buffer x = floats(Shape::of({8}), {2.9f, -2.9f, 300.0f, -300.0f, nan, inf, -inf, 1e20f});
  CastParams p = to(DType::kInt32);
  EXPECT_EQ(valuesOf<std::int32_t>(runOp(OpCode::kCast, &p, {&x})),
            (std::vector<std::int32_t>{2, -2, 300, -300, 0, std::numeric_limits<std::int32_t>::max(),
                                       std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()}));
  p = to(DType::kUint8);
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kCast, &p, {&x})), (std::vector<std::uint8_t>{2, 0, 255, 0, 0, 255, 0, 255}));
  p = to(DType::kInt8);
  EXPECT_EQ(valuesOf<std::int8_t>(runOp(OpCode::kCast, &p, {&x})),
            (std::vector<std::int8_t>{2, -2, 127, -128, 0, 127, -128, 127}));
  p = to(DType::kInt64);
  EXPECT_EQ(valuesOf<std::int64_t>(runOp(OpCode::kCast, &p, {&x})),
            (std::vector<std::int64_t>{2, -2, 300, -300, 0, std::numeric_limits<std::int64_t>::max(),
                                       std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}));
  p = to(DType::kBool);
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kCast, &p, {&x})), (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 1, 1, 1}));
  const Buffer zeros = floats(Shape::of({2}), {0.0f, -0.0f});
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kCast, &p, {&zeros})), (std::vector<std::uint8_t>{0, 0}));
}

TEST(CastRef, IntegersWrapAndBoolIsZeroOrOne) {
  const Buffer x = tensor<std::int64_t>(DType::kInt64, Shape::of({4}), {300, -1, (1LL << 40) + 5, 0});
  CastParams p = to(DType::kUint8);
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kCast, &p, {&x})), (std::vector<std::uint8_t>{44, 255, 5, 0}));
  p = to(DType::kInt32);
  EXPECT_EQ(valuesOf<std::int32_t>(runOp(OpCode::kCast, &p, {&x})), (std::vector<std::int32_t>{300, -1, 5, 0}));
  p = to(DType::kFloat32);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kCast, &p, {&x})), (std::vector<float>{300.0f, -1.0f, 1099511627781.0f, 0.0f}));
  const Buffer b = tensor<std::uint8_t>(DType::kBool, Shape::of({3}), {0, 1, 7});
  p = to(DType::kInt64);
  EXPECT_EQ(valuesOf<std::int64_t>(runOp(OpCode::kCast, &p, {&b})), (std::vector<std::int64_t>{0, 1, 1}));
  p = to(DType::kFloat32);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kCast, &p, {&b})), (std::vector<float>{0, 1, 1}));
}

TEST(CastRef, InferErrors) {
  CastParams p = to(static_cast<DType>(4));
  EXPECT_EQ(inferError(OpCode::kCast, &p, {f32({2})}), "Cast: unknown target element type 4");
  p = to(DType::kInt32);
  p.reserved[1] = 1;
  EXPECT_EQ(inferError(OpCode::kCast, &p, {f32({2})}), "Cast: reserved parameter bytes are not zero");
  p = to(DType::kInt32);
  TensorType y;
  EXPECT_EQ(inferError(OpCode::kCast, &p, {f32({2, 3})}, &y), "ok");
  EXPECT_EQ(y, (TensorType{DType::kInt32, Shape::of({2, 3})}));
}

}  // namespace
}  // namespace edgert::kernels
