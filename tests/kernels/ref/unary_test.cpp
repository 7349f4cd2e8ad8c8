// The Unary family's reference kernel: every kind against the math it names on values that
// reach its edges (zeros, signs, halves, NaN), the integer and bool forms, in place, and
// infer errors. (The ONNX node conformance cases of each op run too: tests/conformance.)
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

const std::vector<float> kValues = {-2.5f, -1.0f, -0.5f, -0.0f, 0.0f, 0.5f, 1.5f, 2.5f, 3.0f};

UnaryParams params(UnaryKind kind, float alpha = 0, float beta = 0) {
  UnaryParams p;
  p.kind = kind;
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

std::vector<float> run(const UnaryParams& p, const std::vector<float>& x) {
  const Buffer in = floats(Shape::of({static_cast<std::int64_t>(x.size())}), x);
  return valuesOf<float>(runOp(OpCode::kUnary, &p, {&in}));
}

TEST(RefUnary, EveryFloatKindComputesItsFunction) {
  struct Case {
    UnaryKind kind;
    float alpha, beta;
    double (*f)(double, double, double);
  };
  const Case cases[] = {
      {UnaryKind::kNeg, 0, 0, [](double x, double, double) { return -x; }},
      {UnaryKind::kAbs, 0, 0, [](double x, double, double) { return std::fabs(x); }},
      {UnaryKind::kSqrt, 0, 0, [](double x, double, double) { return std::sqrt(x); }},
      {UnaryKind::kExp, 0, 0, [](double x, double, double) { return std::exp(x); }},
      {UnaryKind::kLog, 0, 0, [](double x, double, double) { return std::log(x); }},
      {UnaryKind::kReciprocal, 0, 0, [](double x, double, double) { return 1 / x; }},
      {UnaryKind::kFloor, 0, 0, [](double x, double, double) { return std::floor(x); }},
      {UnaryKind::kCeil, 0, 0, [](double x, double, double) { return std::ceil(x); }},
      {UnaryKind::kErf, 0, 0, [](double x, double, double) { return std::erf(x); }},
      {UnaryKind::kSoftplus, 0, 0, [](double x, double, double) { return std::log(1 + std::exp(x)); }},
      {UnaryKind::kSoftsign, 0, 0, [](double x, double, double) { return x / (1 + std::fabs(x)); }},
      {UnaryKind::kElu, 0.7f, 0, [](double x, double a, double) { return x < 0 ? a * (std::exp(x) - 1) : x; }},
      {UnaryKind::kSelu, 1.6732632f, 1.050701f,
       [](double x, double a, double g) { return g * (x <= 0 ? a * (std::exp(x) - 1) : x); }},
      {UnaryKind::kThresholdedRelu, 1.0f, 0, [](double x, double a, double) { return x > a ? x : 0.0; }},
      {UnaryKind::kSin, 0, 0, [](double x, double, double) { return std::sin(x); }},
      {UnaryKind::kCos, 0, 0, [](double x, double, double) { return std::cos(x); }},
      {UnaryKind::kGelu, 0, 0, [](double x, double, double) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      // The inverse and hyperbolic functions from their definitions (NaN outside the domain).
      {UnaryKind::kTan, 0, 0, [](double x, double, double) { return std::sin(x) / std::cos(x); }},
      {UnaryKind::kAsin, 0, 0, [](double x, double, double) { return std::atan2(x, std::sqrt(1 - x * x)); }},
      {UnaryKind::kAcos, 0, 0, [](double x, double, double) { return std::atan2(std::sqrt(1 - x * x), x); }},
      {UnaryKind::kAtan, 0, 0, [](double x, double, double) { return std::asin(x / std::sqrt(1 + x * x)); }},
      {UnaryKind::kSinh, 0, 0, [](double x, double, double) { return (std::exp(x) - std::exp(-x)) / 2; }},
      {UnaryKind::kCosh, 0, 0, [](double x, double, double) { return (std::exp(x) + std::exp(-x)) / 2; }},
      {UnaryKind::kAsinh, 0, 0, [](double x, double, double) { return std::copysign(std::log(std::fabs(x) + std::sqrt(x * x + 1)), x); }},
      {UnaryKind::kAcosh, 0, 0, [](double x, double, double) { return std::log(x + std::sqrt(x * x - 1)); }},
      {UnaryKind::kAtanh, 0, 0, [](double x, double, double) { return 0.5 * std::log((1 + x) / (1 - x)); }},
      {UnaryKind::kShrink, 0.5f, 0.25f, [](double x, double l, double b) { return x < -l ? x + b : (x > l ? x - b : 0.0); }},
  };
  for (const Case& c : cases) {
    const std::vector<float> y = run(params(c.kind, c.alpha, c.beta), kValues);
    for (std::size_t i = 0; i < kValues.size(); ++i) {
      const float want = static_cast<float>(c.f(kValues[i], c.alpha, c.beta));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(y[i])) << unaryKindName(c.kind) << "(" << kValues[i] << ")";
      } else if (std::isinf(want)) {
        EXPECT_EQ(y[i], want) << unaryKindName(c.kind) << "(" << kValues[i] << ")";
      } else {
        EXPECT_NEAR(y[i], want, 1e-6 * std::max(1.0f, std::fabs(want))) << unaryKindName(c.kind) << "(" << kValues[i] << ")";
      }
    }
  }
}

TEST(RefUnary, RoundIsHalfToEvenAndSignKeepsZeroAndNaN) {
  EXPECT_EQ(run(params(UnaryKind::kRound), {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f}),
            (std::vector<float>{-2, -2, -0.0f, 0, 2, 2, 3}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> s = run(params(UnaryKind::kSign), {-3.0f, -0.0f, 0.0f, 7.0f, nan});
  EXPECT_EQ(s[0], -1.0f);
  EXPECT_TRUE(s[1] == 0.0f && s[2] == 0.0f);
  EXPECT_EQ(s[3], 1.0f);
  EXPECT_TRUE(std::isnan(s[4]));
  // Softplus does not overflow where exp(x) would.
  EXPECT_FLOAT_EQ(run(params(UnaryKind::kSoftplus), {100.0f})[0], 100.0f);
}

TEST(RefUnary, IntegerNegAbsSignWrapAndNotTakesBool) {
  const Buffer i32 = tensor<std::int32_t>(DType::kInt32, Shape::of({4}), {-5, 0, 7, std::numeric_limits<std::int32_t>::min()});
  UnaryParams p = params(UnaryKind::kNeg);
  EXPECT_EQ(valuesOf<std::int32_t>(runOp(OpCode::kUnary, &p, {&i32})),
            (std::vector<std::int32_t>{5, 0, -7, std::numeric_limits<std::int32_t>::min()}));
  p = params(UnaryKind::kAbs);
  EXPECT_EQ(valuesOf<std::int32_t>(runOp(OpCode::kUnary, &p, {&i32})),
            (std::vector<std::int32_t>{5, 0, 7, std::numeric_limits<std::int32_t>::min()}));
  p = params(UnaryKind::kSign);
  EXPECT_EQ(valuesOf<std::int32_t>(runOp(OpCode::kUnary, &p, {&i32})), (std::vector<std::int32_t>{-1, 0, 1, -1}));
  const Buffer b = tensor<std::uint8_t>(DType::kBool, Shape::of({3}), {0, 1, 0});
  p = params(UnaryKind::kNot);
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kUnary, &p, {&b}, overInput(0))), (std::vector<std::uint8_t>{1, 0, 1}));
}

TEST(RefUnary, InPlaceGivesTheSameResult) {
  const Buffer x = floats(Shape::of({9}), kValues);
  const UnaryParams p = params(UnaryKind::kExp);
  EXPECT_EQ(valuesOf<float>(runOp(OpCode::kUnary, &p, {&x}, overInput(0))), valuesOf<float>(runOp(OpCode::kUnary, &p, {&x})));
}

TEST(RefUnary, InferErrors) {
  UnaryParams p = params(static_cast<UnaryKind>(kMaxUnaryKind + 1));
  EXPECT_EQ(inferError(OpCode::kUnary, &p, {f32({2})}), "Unary: unknown kind 30");
  p = params(UnaryKind::kSqrt);
  EXPECT_EQ(inferError(OpCode::kUnary, &p, {TensorType{DType::kInt32, Shape::of({2})}}),
            "Sqrt: element type int32 is not supported, expected float32");
  p = params(UnaryKind::kNot);
  EXPECT_EQ(inferError(OpCode::kUnary, &p, {f32({2})}), "Not: element type float32 is not supported, expected bool");
  p = params(UnaryKind::kElu, std::numeric_limits<float>::infinity());
  EXPECT_EQ(inferError(OpCode::kUnary, &p, {f32({2})}), "Elu: alpha inf and beta 0 must be finite");
  p = params(UnaryKind::kNeg);
  p.reserved[1] = 1;
  EXPECT_EQ(inferError(OpCode::kUnary, &p, {f32({2})}), "Neg: reserved parameter bytes are not zero");
}

}  // namespace
}  // namespace edgert::kernels
