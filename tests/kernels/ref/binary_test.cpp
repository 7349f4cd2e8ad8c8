// Reference Binary kernel (Add, Sub, Mul, Div): broadcasting, fused activation, integer
// semantics, in-place operation and infer errors, through the registry as the loader uses it.
#include "edgert/kernels/registry.hpp"
#include "edgert/kernels/shape_check.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

BinaryParams params(BinaryOp op, Activation act = Activation::kNone, float alpha = 0.0f,
                    float beta = 0.0f) {
  BinaryParams p;
  p.op = op;
  p.activation.kind = act;
  p.activation.alpha = alpha;
  p.activation.beta = beta;
  return p;
}

// "ok" (and the output type) or the error message of the infer function.
std::string inferError(const BinaryParams& p, std::vector<TensorType> inputs,
                       TensorType* outType = nullptr) {
  return test::inferError(OpCode::kBinary, &p, std::move(inputs), outType);
}

// Infers the output type, then runs the reference kernel. With overInput(i), the output is
// written over input i's buffer (which must have the output's size).
Buffer run(const BinaryParams& p, const Buffer& a, const Buffer& b,
           OutputPlacement placement = kOwnBuffer) {
  return runOp(OpCode::kBinary, &p, {&a, &b}, placement);
}

void expectFloats(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "at " << i;
}

TEST(RefBinary, AddSameShape) {
  const Buffer y = run(params(BinaryOp::kAdd), floats(Shape::of({3}), {1.0f, 2.5f, -3.0f}),
                       floats(Shape::of({3}), {10.0f, 0.25f, 3.0f}));
  EXPECT_EQ(y.type, (TensorType{DType::kFloat32, Shape::of({3})}));
  expectFloats(valuesOf<float>(y), {11.0f, 2.75f, 0.0f});
}

TEST(RefBinary, SubScalarOnTheRight) {
  const Buffer y = run(params(BinaryOp::kSub), floats(Shape::of({2, 3}), {1, 2, 3, 4, 5, 6}),
                       floats(Shape{}, {1.5f}));
  EXPECT_EQ(y.type.shape, Shape::of({2, 3}));
  expectFloats(valuesOf<float>(y), {-0.5f, 0.5f, 1.5f, 2.5f, 3.5f, 4.5f});
}

TEST(RefBinary, SubScalarOnTheLeft) {
  const Buffer y = run(params(BinaryOp::kSub), floats(Shape{}, {10.0f}),
                       floats(Shape::of({2, 2}), {1, 2, 3, 4}));
  EXPECT_EQ(y.type.shape, Shape::of({2, 2}));
  expectFloats(valuesOf<float>(y), {9, 8, 7, 6});
}

TEST(RefBinary, MulRowBroadcast) {
  const Buffer y = run(params(BinaryOp::kMul), floats(Shape::of({2, 3}), {1, 2, 3, 4, 5, 6}),
                       floats(Shape::of({3}), {10, 100, -1}));
  expectFloats(valuesOf<float>(y), {10, 200, -3, 40, 500, -6});
}

TEST(RefBinary, DivColumnBroadcast) {
  const Buffer y = run(params(BinaryOp::kDiv), floats(Shape::of({2, 3}), {2, 4, 6, 9, 3, -12}),
                       floats(Shape::of({2, 1}), {2, -3}));
  expectFloats(valuesOf<float>(y), {1, 2, 3, -3, -1, 4});
}

TEST(RefBinary, BothSidesBroadcast) {
  // 3x1 + 1x4 -> 3x4: an outer sum.
  const Buffer y = run(params(BinaryOp::kAdd), floats(Shape::of({3, 1}), {0, 10, 20}),
                       floats(Shape::of({1, 4}), {1, 2, 3, 4}));
  EXPECT_EQ(y.type.shape, Shape::of({3, 4}));
  expectFloats(valuesOf<float>(y), {1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24});
}

TEST(RefBinary, DifferentRanksBroadcastOnBothSides) {
  // 2x1x3 - 4x1 -> 2x4x3; y[i][j][k] = a[i][0][k] - b[j][0].
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const std::vector<float> b = {100, 200, 300, 400};
  const Buffer y =
      run(params(BinaryOp::kSub), floats(Shape::of({2, 1, 3}), a), floats(Shape::of({4, 1}), b));
  EXPECT_EQ(y.type.shape, Shape::of({2, 4, 3}));
  std::vector<float> want;
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 4; ++j) {
      for (std::size_t k = 0; k < 3; ++k) want.push_back(a[i * 3 + k] - b[j]);
    }
  }
  expectFloats(valuesOf<float>(y), want);
}

TEST(RefBinary, PrimeSizesWithMiddleAxisBroadcast) {
  // 5x1x7 * 5x3x7 -> 5x3x7.
  std::vector<float> a(35);
  std::vector<float> b(105);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) + 1.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 11) - 5.0f;
  const Buffer y =
      run(params(BinaryOp::kMul), floats(Shape::of({5, 1, 7}), a), floats(Shape::of({5, 3, 7}), b));
  std::vector<float> want;
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      for (std::size_t k = 0; k < 7; ++k) want.push_back(a[i * 7 + k] * b[(i * 3 + j) * 7 + k]);
    }
  }
  expectFloats(valuesOf<float>(y), want);
}

TEST(RefBinary, ScalarWithScalar) {
  const Buffer y = run(params(BinaryOp::kDiv), floats(Shape{}, {7.0f}), floats(Shape{}, {2.0f}));
  EXPECT_EQ(y.type.shape.rank, 0);
  expectFloats(valuesOf<float>(y), {3.5f});
}

TEST(RefBinary, EmptyOutput) {
  const Buffer y =
      run(params(BinaryOp::kAdd), floats(Shape::of({0, 3}), {}), floats(Shape::of({3}), {1, 2, 3}));
  EXPECT_EQ(y.type.shape, Shape::of({0, 3}));
  EXPECT_TRUE(y.bytes.empty());
}

TEST(RefBinary, FloatDivisionByZeroFollowsIeee) {
  const Buffer y =
      run(params(BinaryOp::kDiv), floats(Shape::of({2}), {1.0f, -1.0f}), floats(Shape{}, {0.0f}));
  const std::vector<float> v = valuesOf<float>(y);
  EXPECT_EQ(v[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[1], -std::numeric_limits<float>::infinity());
}

TEST(RefBinary, FusedRelu) {
  const Buffer y = run(params(BinaryOp::kAdd, Activation::kRelu),
                       floats(Shape::of({4}), {-3, -1, 0.5f, 2}), floats(Shape{}, {0.5f}));
  expectFloats(valuesOf<float>(y), {0, 0, 1, 2.5f});
}

TEST(RefBinary, FusedClip) {
  const Buffer y = run(params(BinaryOp::kMul, Activation::kClip, -1.0f, 6.0f),
                       floats(Shape::of({4}), {-3, 0.25f, 2, 5}), floats(Shape{}, {2.0f}));
  expectFloats(valuesOf<float>(y), {-1, 0.5f, 4, 6});
}

TEST(RefBinary, InPlaceWithBroadcastSecondInput) {
  // The output shares input 0's buffer; input 1 is a row broadcast over it. Size 3x7.
  std::vector<float> a(21);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i);
  const std::vector<float> b = {1, 2, 3, 4, 5, 6, 7};
  const Buffer y =
      run(params(BinaryOp::kSub), floats(Shape::of({3, 7}), a), floats(Shape::of({7}), b),
          overInput(0));
  std::vector<float> want;
  for (std::size_t i = 0; i < a.size(); ++i) want.push_back(a[i] - b[i % 7]);
  expectFloats(valuesOf<float>(y), want);
}

TEST(RefBinary, InPlaceWithBothInputsTheSameBuffer) {
  // x * x written over x: every element must be squared exactly once.
  Buffer x = floats(Shape::of({5}), {1, -2, 3, -4, 5});
  const BinaryParams p = params(BinaryOp::kMul);
  TensorType outType;
  ASSERT_EQ(inferError(p, {x.type, x.type}, &outType), "ok");
  const InTensor in[] = {{x.bytes.data(), x.type}, {x.bytes.data(), x.type}};
  const OutTensor out[] = {{x.bytes.data(), outType}};
  runReference(OpCode::kBinary, &p, in, out[0]);
  expectFloats(valuesOf<float>(x), {1, 4, 9, 16, 25});
}

TEST(RefBinary, InPlaceOverTheSecondInput) {
  // Input 1 has the output's shape and input 0 broadcasts over it, so the planner may place
  // the output on input 1 (OpInfo::aliasInputs bit 1): the same result as separate buffers.
  // Size 3x7; Sub and Div, which are not commutative, with a fused activation.
  const std::vector<float> a = {1, -2, 3, -4, 5, -6, 7};
  std::vector<float> b(21);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i) - 9.5f;
  for (const BinaryOp op : {BinaryOp::kSub, BinaryOp::kDiv}) {
    const BinaryParams p = params(op, Activation::kLeakyRelu, 0.25f);
    const Buffer x0 = floats(Shape::of({7}), a);
    const Buffer x1 = floats(Shape::of({3, 7}), b);
    const Buffer separate = run(p, x0, x1);
    const Buffer inPlace = run(p, x0, x1, overInput(1));
    EXPECT_EQ(inPlace.type, separate.type);
    std::vector<float> want;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const float v = op == BinaryOp::kSub ? a[i % 7] - b[i] : a[i % 7] / b[i];
      want.push_back(v < 0 ? 0.25f * v : v);
    }
    expectFloats(valuesOf<float>(separate), want);
    expectFloats(valuesOf<float>(inPlace), want);
  }
}

TEST(RefBinary, Int32DivTruncatesTowardZero) {
  const Buffer y = run(params(BinaryOp::kDiv),
                       tensor<std::int32_t>(DType::kInt32, Shape::of({4}), {7, -7, 7, -7}),
                       tensor<std::int32_t>(DType::kInt32, Shape::of({4}), {2, 2, -2, -2}));
  EXPECT_EQ(y.type.dtype, DType::kInt32);
  EXPECT_EQ(valuesOf<std::int32_t>(y), (std::vector<std::int32_t>{3, -3, -3, 3}));
}

TEST(RefBinary, IntegerDivisionByZeroIsZeroAndMinByMinusOneWraps) {
  constexpr std::int32_t kMin32 = std::numeric_limits<std::int32_t>::min();
  const Buffer y32 = run(params(BinaryOp::kDiv),
                         tensor<std::int32_t>(DType::kInt32, Shape::of({3}), {5, -5, kMin32}),
                         tensor<std::int32_t>(DType::kInt32, Shape::of({3}), {0, 0, -1}));
  EXPECT_EQ(valuesOf<std::int32_t>(y32), (std::vector<std::int32_t>{0, 0, kMin32}));

  constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
  const Buffer y64 = run(params(BinaryOp::kDiv),
                         tensor<std::int64_t>(DType::kInt64, Shape::of({3}), {9, kMin64, -9}),
                         tensor<std::int64_t>(DType::kInt64, Shape::of({3}), {0, -1, -1}));
  EXPECT_EQ(valuesOf<std::int64_t>(y64), (std::vector<std::int64_t>{0, kMin64, 9}));

  const Buffer y8 =
      run(params(BinaryOp::kDiv), tensor<std::uint8_t>(DType::kUint8, Shape::of({2}), {200, 7}),
          tensor<std::uint8_t>(DType::kUint8, Shape::of({2}), {0, 2}));
  EXPECT_EQ(valuesOf<std::uint8_t>(y8), (std::vector<std::uint8_t>{0, 3}));
}

TEST(RefBinary, Int32AddAndMulWrapAround) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  const Buffer add =
      run(params(BinaryOp::kAdd), tensor<std::int32_t>(DType::kInt32, Shape::of({2}), {kMax, -3}),
          tensor<std::int32_t>(DType::kInt32, Shape{}, {1}));
  EXPECT_EQ(valuesOf<std::int32_t>(add), (std::vector<std::int32_t>{kMin, -2}));
  const Buffer mul =
      run(params(BinaryOp::kMul), tensor<std::int32_t>(DType::kInt32, Shape::of({2}), {65536, -7}),
          tensor<std::int32_t>(DType::kInt32, Shape::of({2}), {65536, 6}));
  EXPECT_EQ(valuesOf<std::int32_t>(mul), (std::vector<std::int32_t>{0, -42}));
}

TEST(RefBinary, Int64BroadcastSubAndMul) {
  const std::int64_t big = std::int64_t{3} << 40;
  const Buffer sub =
      run(params(BinaryOp::kSub), tensor<std::int64_t>(DType::kInt64, Shape::of({2, 1}), {big, -1}),
          tensor<std::int64_t>(DType::kInt64, Shape::of({3}), {1, 2, big}));
  EXPECT_EQ(sub.type, (TensorType{DType::kInt64, Shape::of({2, 3})}));
  EXPECT_EQ(valuesOf<std::int64_t>(sub),
            (std::vector<std::int64_t>{big - 1, big - 2, 0, -2, -3, -1 - big}));
  const Buffer mul =
      run(params(BinaryOp::kMul), tensor<std::int64_t>(DType::kInt64, Shape::of({2}), {big, -5}),
          tensor<std::int64_t>(DType::kInt64, Shape{}, {1000}));
  EXPECT_EQ(valuesOf<std::int64_t>(mul), (std::vector<std::int64_t>{big * 1000, -5000}));
}

TEST(RefBinary, EightBitTypesWrap) {
  const Buffer u8 = run(params(BinaryOp::kSub),
                        tensor<std::uint8_t>(DType::kUint8, Shape::of({3}), {1, 200, 255}),
                        tensor<std::uint8_t>(DType::kUint8, Shape::of({3}), {2, 100, 255}));
  EXPECT_EQ(valuesOf<std::uint8_t>(u8), (std::vector<std::uint8_t>{255, 100, 0}));
  const Buffer i8 = run(params(BinaryOp::kAdd),
                        tensor<std::int8_t>(DType::kInt8, Shape::of({3}), {127, -128, -7}),
                        tensor<std::int8_t>(DType::kInt8, Shape{}, {1}));
  EXPECT_EQ(valuesOf<std::int8_t>(i8), (std::vector<std::int8_t>{-128, -127, -6}));
  const Buffer div =
      run(params(BinaryOp::kDiv), tensor<std::int8_t>(DType::kInt8, Shape::of({3}), {-128, -7, 9}),
          tensor<std::int8_t>(DType::kInt8, Shape::of({3}), {-1, 2, -4}));
  EXPECT_EQ(valuesOf<std::int8_t>(div), (std::vector<std::int8_t>{-128, -3, -2}));
}

TEST(RefBinary, InferErrors) {
  const TensorType f23{DType::kFloat32, Shape::of({2, 3})};
  const TensorType f4{DType::kFloat32, Shape::of({4})};
  const TensorType i23{DType::kInt32, Shape::of({2, 3})};
  EXPECT_EQ(inferError(params(static_cast<BinaryOp>(kMaxBinaryOp + 1)), {f23, f23}),
            "Binary: unknown operation 18");
  EXPECT_EQ(inferError(params(BinaryOp::kAdd), {f23, f4}), "Add: cannot broadcast 2x3 with 4");
  EXPECT_EQ(inferError(params(BinaryOp::kMul), {f23, i23}),
            "Mul: input 1 is int32, expected float32 like input 0");
  EXPECT_EQ(inferError(params(BinaryOp::kSub),
                       {{DType::kBool, Shape::of({2})}, {DType::kBool, Shape::of({2})}}),
            "Sub: element type bool is not supported, expected float32, int32, int64, uint8 or "
            "int8");
  EXPECT_EQ(inferError(params(BinaryOp::kAdd, Activation::kRelu), {i23, i23}),
            "Add: fused activation Relu needs float32, found int32");
  EXPECT_EQ(inferError(params(BinaryOp::kAdd, static_cast<Activation>(9)), {f23, f23}),
            "Add: unknown activation 9");
  EXPECT_EQ(inferError(params(BinaryOp::kDiv, Activation::kClip, 6.0f, 0.0f), {f23, f23}),
            "Div: Clip min 6 is above max 0");
  EXPECT_EQ(inferError(params(BinaryOp::kAdd), {f23}), "Add: expected 2..2 inputs, found 1");
  EXPECT_EQ(inferError(params(BinaryOp::kAdd), {f23, {DType::kFloat32, Shape{-1, 0, {}}}}),
            "Add: required input 1 is absent");
  BinaryParams reserved = params(BinaryOp::kAdd);
  reserved.activation.reserved[1] = 1;
  EXPECT_EQ(inferError(reserved, {f23, f23}), "Add: reserved parameter bytes are not zero");
}

TEST(RefBinary, InferRejectsABroadcastWithTooManyElements) {
  // Each input is valid on its own; their broadcast has 2^80 elements.
  const std::int64_t big = std::int64_t{1} << 40;
  EXPECT_EQ(inferError(params(BinaryOp::kAdd), {{DType::kFloat32, Shape::of({big, 1})},
                                                {DType::kFloat32, Shape::of({1, big})}}),
            "Add: shape 1099511627776x1099511627776 has more than 2^40 elements");
}

// Found by the model fuzzer: an empty input whose other dimensions multiply past 2^63
// overflowed the reference kernel's broadcast strides. Such a shape is refused.
TEST(RefBinary, AnEmptyShapeWithHugeOtherDimensionsIsRefused) {
  const Shape hostile = Shape::of({0, std::int64_t{3} << 32, (std::int64_t{1} << 32) + 265});
  EXPECT_EQ(inferError(params(BinaryOp::kAdd), {{DType::kFloat32, hostile}, {DType::kFloat32, hostile}}),
            "Add: shape 0x12884901888x4294967561 has more than 2^40 elements");
  EXPECT_TRUE(validateShape(Shape::of({0, std::int64_t{1} << 20, std::int64_t{1} << 20}), "t").ok());
  EXPECT_FALSE(validateShape(Shape::of({std::int64_t{1} << 21, 0, std::int64_t{1} << 20}), "t").ok());
}

TEST(RefBinary, InferAcceptsEveryIntegerTypeWithoutActivation) {
  for (const DType t : {DType::kInt32, DType::kInt64, DType::kUint8, DType::kInt8}) {
    TensorType out;
    EXPECT_EQ(
        inferError(params(BinaryOp::kDiv), {{t, Shape::of({3, 1})}, {t, Shape::of({4})}}, &out),
        "ok");
    EXPECT_EQ(out, (TensorType{t, Shape::of({3, 4})}));
  }
}

// --- The kinds beyond Add/Sub/Mul/Div -------------------------------------------------------

TEST(RefBinary, PowMinMaxPReluFmodOnFloats) {
  const Buffer a = floats(Shape::of({5}), {2.0f, -3.0f, 0.5f, -0.0f, 9.0f});
  const Buffer b = floats(Shape::of({5}), {3.0f, 2.0f, -1.0f, 4.0f, 0.5f});
  expectFloats(valuesOf<float>(run(params(BinaryOp::kPow), a, b)), {8.0f, 9.0f, 2.0f, 0.0f, 3.0f});
  expectFloats(valuesOf<float>(run(params(BinaryOp::kMin), a, b)), {2.0f, -3.0f, -1.0f, -0.0f, 0.5f});
  expectFloats(valuesOf<float>(run(params(BinaryOp::kMax), a, b)), {3.0f, 2.0f, 0.5f, 4.0f, 9.0f});
  expectFloats(valuesOf<float>(run(params(BinaryOp::kPRelu), a, b)), {2.0f, -6.0f, 0.5f, -0.0f, 9.0f});
  expectFloats(valuesOf<float>(run(params(BinaryOp::kFmod), a, b)), {2.0f, -1.0f, 0.5f, -0.0f, 0.0f});
  // NaN in either input gives NaN, as numpy's minimum and maximum.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Buffer n = floats(Shape{}, {nan});
  EXPECT_TRUE(std::isnan(valuesOf<float>(run(params(BinaryOp::kMin), a, n))[0]));
  EXPECT_TRUE(std::isnan(valuesOf<float>(run(params(BinaryOp::kMax), n, a))[4]));
}

TEST(RefBinary, IntegerPowModAndFmodAreDefinedEverywhere) {
  using L = std::numeric_limits<std::int32_t>;
  const Buffer a = tensor<std::int32_t>(DType::kInt32, Shape::of({6}), {3, -7, 7, 2, L::min(), -1});
  const Buffer b = tensor<std::int32_t>(DType::kInt32, Shape::of({6}), {4, 3, -3, -1, -1, -3});
  EXPECT_EQ(valuesOf<std::int32_t>(run(params(BinaryOp::kPow), a, b)),
            (std::vector<std::int32_t>{81, -343, 0, 0, 0, -1}));
  // Mod takes the divisor's sign, Fmod the dividend's; INT_MIN by -1 is 0.
  EXPECT_EQ(valuesOf<std::int32_t>(run(params(BinaryOp::kMod), a, b)), (std::vector<std::int32_t>{3, 2, -2, 0, 0, -1}));
  EXPECT_EQ(valuesOf<std::int32_t>(run(params(BinaryOp::kFmod), a, b)), (std::vector<std::int32_t>{3, -1, 1, 0, 0, -1}));
  const Buffer zero = tensor<std::int32_t>(DType::kInt32, Shape{}, {0});
  EXPECT_EQ(valuesOf<std::int32_t>(run(params(BinaryOp::kMod), a, zero)), (std::vector<std::int32_t>(6, 0)));
  // 2^40 wraps in int32 as numpy's does.
  const Buffer two = tensor<std::int32_t>(DType::kInt32, Shape{}, {2});
  const Buffer forty = tensor<std::int32_t>(DType::kInt32, Shape{}, {40});
  EXPECT_EQ(valuesOf<std::int32_t>(run(params(BinaryOp::kPow), two, forty)), (std::vector<std::int32_t>{0}));
}

TEST(RefBinary, ComparisonsAndLogicGiveBoolWithBroadcast) {
  const Buffer a = floats(Shape::of({2, 1}), {1.0f, 3.0f});
  const Buffer b = floats(Shape::of({3}), {0.0f, 1.0f, 5.0f});
  TensorType out;
  EXPECT_EQ(inferError(params(BinaryOp::kLess), {a.type, b.type}, &out), "ok");
  EXPECT_EQ(out, (TensorType{DType::kBool, Shape::of({2, 3})}));
  const auto cmp = [&](BinaryOp op) { return valuesOf<std::uint8_t>(run(params(op), a, b)); };
  EXPECT_EQ(cmp(BinaryOp::kEqual), (std::vector<std::uint8_t>{0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(cmp(BinaryOp::kLess), (std::vector<std::uint8_t>{0, 0, 1, 0, 0, 1}));
  EXPECT_EQ(cmp(BinaryOp::kLessOrEqual), (std::vector<std::uint8_t>{0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(cmp(BinaryOp::kGreater), (std::vector<std::uint8_t>{1, 0, 0, 1, 1, 0}));
  EXPECT_EQ(cmp(BinaryOp::kGreaterOrEqual), (std::vector<std::uint8_t>{1, 1, 0, 1, 1, 0}));
  const Buffer p = tensor<std::uint8_t>(DType::kBool, Shape::of({4}), {0, 0, 1, 1});
  const Buffer q = tensor<std::uint8_t>(DType::kBool, Shape::of({4}), {0, 1, 0, 1});
  EXPECT_EQ(valuesOf<std::uint8_t>(run(params(BinaryOp::kAnd), p, q)), (std::vector<std::uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(valuesOf<std::uint8_t>(run(params(BinaryOp::kOr), p, q)), (std::vector<std::uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(valuesOf<std::uint8_t>(run(params(BinaryOp::kXor), p, q, overInput(0))), (std::vector<std::uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(valuesOf<std::uint8_t>(run(params(BinaryOp::kEqual), p, q)), (std::vector<std::uint8_t>{1, 0, 0, 1}));
}

TEST(RefBinary, NewKindsInferErrors) {
  const TensorType f23 = f32({2, 3});
  const TensorType b23{DType::kBool, Shape::of({2, 3})};
  EXPECT_EQ(inferError(params(BinaryOp::kAnd), {f23, f23}), "And: element type float32 is not supported, expected bool");
  EXPECT_EQ(inferError(params(BinaryOp::kLess), {b23, b23}),
            "Less: element type bool is not supported, expected float32, int32, int64, uint8 or int8");
  EXPECT_EQ(inferError(params(BinaryOp::kMod), {f23, f23}), "Mod: float32 needs fmod (the sign of the dividend)");
  EXPECT_EQ(inferError(params(BinaryOp::kGreater, Activation::kRelu), {f23, f23}),
            "Greater: fused activation Relu needs float32, found bool");
  EXPECT_EQ(inferError(params(BinaryOp::kPow), {f23, TensorType{DType::kInt64, Shape::of({2, 3})}}),
            "Pow: input 1 is int64, expected float32 like input 0");
}

}  // namespace
}  // namespace edgert::kernels
