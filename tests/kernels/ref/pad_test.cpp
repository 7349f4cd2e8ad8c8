// Reference Pad kernel: growing and cropping pads, the value in every dtype, edge and reflect
// modes, empty results, format-2 parameter blocks, and infer errors, through the registry as
// the loader uses it.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

using Params = PadParams;
constexpr OpCode kCode = OpCode::kPad;

// "ok" (and the output type) or the error message of the op's infer function.
std::string inferError(const Params& p, const TensorType& x, TensorType* outType = nullptr) {
  return test::inferError(kCode, &p, {x}, outType);
}

Buffer run(const Params& p, const Buffer& x) { return runOp(kCode, &p, {&x}); }

struct AxisPad {
  std::int64_t begin;
  std::int64_t end;
};

Params pad(std::initializer_list<AxisPad> axes, float value = 0.0f) {
  Params p;
  p.value = value;
  for (const AxisPad& a : axes) {
    p.padBegin[p.rank] = a.begin;
    p.padEnd[p.rank] = a.end;
    ++p.rank;
  }
  return p;
}

TEST(RefPad, GrowsWithTheValue) {
  const Buffer y = run(pad({{1, 0}, {0, 2}}, 9.0f),
                       tensor<float>(DType::kFloat32, Shape::of({2, 2}), {1, 2, 3, 4}));
  EXPECT_EQ(y.type, (TensorType{DType::kFloat32, Shape::of({3, 4})}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9}));
}

TEST(RefPad, NegativePadsCrop) {
  const Buffer y = run(pad({{0, 0}, {-1, -2}}),
                       tensor(DType::kInt32, Shape::of({2, 5}), iota<std::int32_t>(10, 1)));
  EXPECT_EQ(y.type.shape, Shape::of({2, 2}));
  EXPECT_EQ(valuesOf<std::int32_t>(y), (std::vector<std::int32_t>{2, 3, 7, 8}));
}

TEST(RefPad, CropOneSidePadTheOther) {
  const Buffer y = run(pad({{-2, 3}}, -7.0f),
                       tensor<std::int64_t>(DType::kInt64, Shape::of({5}), {1, 2, 3, 4, 5}));
  EXPECT_EQ(y.type, (TensorType{DType::kInt64, Shape::of({6})}));
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{3, 4, 5, -7, -7, -7}));
}

TEST(RefPad, CropBeyondTheInputLeavesOnlyTheValue) {
  // dim 3 with pads (-5, 4): output indices 0..1 map to input 5..6, outside the input.
  const Buffer y =
      run(pad({{-5, 4}}, 2.0f), tensor<float>(DType::kFloat32, Shape::of({3}), {1, 1, 1}));
  EXPECT_EQ(y.type.shape, Shape::of({2}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{2, 2}));
}

TEST(RefPad, CropToNothing) {
  const Buffer y =
      run(pad({{-2, -1}, {1, 1}}), tensor(DType::kFloat32, Shape::of({3, 2}), iota<float>(6, 0)));
  EXPECT_EQ(y.type.shape, Shape::of({0, 4}));
  EXPECT_TRUE(y.bytes.empty());
}

TEST(RefPad, Rank4PrimeSizesAroundTheSpatialDims) {
  // 1x2x3x5 NCHW padded by (1, 2) on H and (2, 1) on W -> 1x2x6x8.
  const std::vector<float> x = iota<float>(30, 1);
  const Buffer y = run(pad({{0, 0}, {0, 0}, {1, 2}, {2, 1}}, -1.0f),
                       tensor(DType::kFloat32, Shape::of({1, 2, 3, 5}), x));
  EXPECT_EQ(y.type.shape, Shape::of({1, 2, 6, 8}));
  std::vector<float> want;
  for (int c = 0; c < 2; ++c) {
    for (int h = 0; h < 6; ++h) {
      for (int w = 0; w < 8; ++w) {
        const int ih = h - 1;
        const int iw = w - 2;
        const bool inside = ih >= 0 && ih < 3 && iw >= 0 && iw < 5;
        want.push_back(inside ? x[static_cast<std::size_t>((c * 3 + ih) * 5 + iw)] : -1.0f);
      }
    }
  }
  EXPECT_EQ(valuesOf<float>(y), want);
}

TEST(RefPad, ValueInEveryDType) {
  const Buffer u8 =
      run(pad({{1, 1}}, 255.0f), tensor<std::uint8_t>(DType::kUint8, Shape::of({1}), {7}));
  EXPECT_EQ(valuesOf<std::uint8_t>(u8), (std::vector<std::uint8_t>{255, 7, 255}));
  const Buffer i8 =
      run(pad({{0, 2}}, -128.0f), tensor<std::int8_t>(DType::kInt8, Shape::of({1}), {5}));
  EXPECT_EQ(valuesOf<std::int8_t>(i8), (std::vector<std::int8_t>{5, -128, -128}));
  const Buffer i32 =
      run(pad({{1, 0}}, -2147483648.0f), tensor<std::int32_t>(DType::kInt32, Shape::of({1}), {5}));
  EXPECT_EQ(valuesOf<std::int32_t>(i32), (std::vector<std::int32_t>{-2147483647 - 1, 5}));
  const Buffer i64 = run(pad({{1, 0}}, 1099511627776.0f),
                         tensor<std::int64_t>(DType::kInt64, Shape::of({1}), {5}));
  EXPECT_EQ(valuesOf<std::int64_t>(i64), (std::vector<std::int64_t>{std::int64_t{1} << 40, 5}));
  const Buffer b =
      run(pad({{2, 0}}, 1.0f), tensor<std::uint8_t>(DType::kBool, Shape::of({1}), {0}));
  EXPECT_EQ(valuesOf<std::uint8_t>(b), (std::vector<std::uint8_t>{1, 1, 0}));
}

TEST(RefPad, FloatValueMayBeNaN) {
  const Buffer y =
      run(pad({{0, 1}}, std::nanf("")), tensor<float>(DType::kFloat32, Shape::of({1}), {1}));
  const std::vector<float> v = valuesOf<float>(y);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_TRUE(std::isnan(v[1]));
}

TEST(RefPad, ScalarIsCopied) {
  const Buffer y = run(pad({}), tensor<float>(DType::kFloat32, Shape{}, {2.5f}));
  EXPECT_EQ(y.type.shape.rank, 0);
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{2.5f}));
}

TEST(RefPad, InferErrors) {
  const TensorType x{DType::kFloat32, Shape::of({2, 3})};
  EXPECT_EQ(inferError(pad({{0, 0}, {-3, -1}}), x),
            "Pad: axis 1 pads (-3, -1) crop a dimension of 3 to -1");
  EXPECT_EQ(inferError(pad({{0, 0}}), x), "Pad: params have rank 1, input shape 2x3 has 2");
  EXPECT_EQ(inferError(pad({{0, std::int64_t{1} << 41}, {0, 0}}), x),
            "Pad: axis 0 pads (0, 2199023255552) are beyond +-2^40");
  EXPECT_EQ(inferError(pad({{-(std::int64_t{1} << 62), std::int64_t{1} << 62}, {0, 0}}), x),
            "Pad: axis 0 pads (-4611686018427387904, 4611686018427387904) are beyond +-2^40");
  // Every dim is fine on its own (about 2^21); together they hold about 2^42 elements.
  const std::int64_t big = std::int64_t{1} << 20;
  EXPECT_EQ(inferError(pad({{big, big}, {big, big}}), x),
            "Pad: shape 2097154x2097155 has more than 2^40 elements");
}

Params withMode(Params p, PadMode mode) {
  p.mode = mode;
  return p;
}

TEST(RefPad, EdgeAndReflectModes) {
  const Buffer x = tensor<std::int64_t>(DType::kInt64, Shape::of({2, 3}), {1, 2, 3, 4, 5, 6});
  const Params p = pad({{1, 0}, {2, 2}});
  Buffer y = run(withMode(p, PadMode::kEdge), x);
  EXPECT_EQ(y.type.shape, Shape::of({3, 7}));
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{1, 1, 1, 2, 3, 3, 3,  //
                                                                   1, 1, 1, 2, 3, 3, 3,  //
                                                                   4, 4, 4, 5, 6, 6, 6}));
  y = run(withMode(p, PadMode::kReflect), x);
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{6, 5, 4, 5, 6, 5, 4,  //
                                                                   3, 2, 1, 2, 3, 2, 1,  //
                                                                   6, 5, 4, 5, 6, 5, 4}));
  // Cropping one side while reflecting the other.
  y = run(withMode(pad({{0, 0}, {2, -1}}), PadMode::kReflect), x);
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{3, 2, 1, 2, 6, 5, 4, 5}));
}

// Images of format 2 stored the rank as an int32: the same bytes read as rank and constant
// mode.
TEST(RefPad, AFormat2BlockReadsAsConstantMode) {
  Params p = pad({{1, 1}}, 7.0f);
  const std::int32_t oldRank = 1;
  std::memcpy(static_cast<void*>(&p), &oldRank, sizeof oldRank);
  EXPECT_EQ(p.rank, 1);
  EXPECT_EQ(p.mode, PadMode::kConstant);
  EXPECT_EQ(valuesOf<float>(run(p, floats(Shape::of({1}), {2}))), (std::vector<float>{7, 2, 7}));
}

TEST(RefPad, InferErrorsOfTheModes) {
  const TensorType x{DType::kFloat32, Shape::of({2, 3})};
  EXPECT_EQ(inferError(withMode(pad({{0, 0}, {3, 0}}), PadMode::kReflect), x),
            "Pad: axis 1 of 3 elements cannot be padded by 3 in reflect mode");
  EXPECT_EQ(inferError(withMode(pad({{0, 0}, {2, 2}}), PadMode::kReflect), x), "ok");
  EXPECT_EQ(inferError(withMode(pad({{1, 0}}), PadMode::kEdge), TensorType{DType::kFloat32, Shape::of({0})}),
            "Pad: axis 0 of 0 elements cannot be padded by 1 in edge mode");
  EXPECT_EQ(inferError(withMode(pad({{0, 0}, {0, 0}}), static_cast<PadMode>(3)), x),
            "Pad: mode 3 or reserved parameter bytes out of range");
}

TEST(RefPad, InferRejectsValuesTheDTypeCannotHold) {
  const auto error = [](DType t, float v) {
    return inferError(pad({{1, 1}}, v), TensorType{t, Shape::of({2})});
  };
  EXPECT_EQ(error(DType::kUint8, 256.0f), "Pad: value 256 is not a uint8 value");
  EXPECT_EQ(error(DType::kUint8, -1.0f), "Pad: value -1 is not a uint8 value");
  EXPECT_EQ(error(DType::kInt8, 128.0f), "Pad: value 128 is not a int8 value");
  EXPECT_EQ(error(DType::kInt32, 1.5f), "Pad: value 1.5 is not a int32 value");
  EXPECT_EQ(error(DType::kInt32, 2147483648.0f), "Pad: value 2147483648 is not a int32 value");
  EXPECT_EQ(error(DType::kInt64, 9223372036854775808.0f),
            "Pad: value 9.223372036854776e+18 is not a int64 value");
  EXPECT_EQ(error(DType::kInt64, std::nanf("")), "Pad: value nan is not a int64 value");
  EXPECT_EQ(error(DType::kBool, 2.0f), "Pad: value 2 is not a bool value");
  EXPECT_EQ(error(DType::kInt8, -128.0f), "ok");
  EXPECT_EQ(error(DType::kInt64, -9223372036854775808.0f), "ok");
}

}  // namespace
}  // namespace edgert::kernels
