// Reference Activation kernel: each kind against hand-computed values, in-place operation
// and infer errors, through the registry as the loader uses it.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

ActivationParams params(Activation kind, float alpha = 0.0f, float beta = 0.0f) {
  ActivationParams p;
  p.kind = kind;
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

// "ok" (and the output type) or the error message of the infer function.
std::string inferError(const ActivationParams& p, std::vector<TensorType> inputs,
                       TensorType* outType = nullptr) {
  return test::inferError(OpCode::kActivation, &p, std::move(inputs), outType);
}

// Runs the activation on a 1-D float tensor; in place when inPlace.
std::vector<float> run(const ActivationParams& p, const std::vector<float>& x,
                       bool inPlace = false) {
  const Buffer in = floats(Shape::of({static_cast<std::int64_t>(x.size())}), x);
  const Buffer y = runOp(OpCode::kActivation, &p, {&in}, inPlace ? overInput(0) : kOwnBuffer);
  EXPECT_EQ(y.type, in.type);
  return valuesOf<float>(y);
}

void expectFloats(const std::vector<float>& got, const std::vector<float>& want) {
  expectClose(got, want, 0, 1e-6f);
}

const std::vector<float> kInput = {-4.0f, -1.0f, -0.25f, 0.0f, 0.5f, 1.0f, 4.0f};

TEST(RefActivation, Relu) {
  expectFloats(run(params(Activation::kRelu), kInput), {0, 0, 0, 0, 0.5f, 1, 4});
}

TEST(RefActivation, LeakyRelu) {
  expectFloats(run(params(Activation::kLeakyRelu, 0.1f), kInput),
               {-0.4f, -0.1f, -0.025f, 0, 0.5f, 1, 4});
}

TEST(RefActivation, Clip) {
  expectFloats(run(params(Activation::kClip, -1.0f, 0.75f), kInput),
               {-1, -1, -0.25f, 0, 0.5f, 0.75f, 0.75f});
}

TEST(RefActivation, ClipWithInfiniteBoundsIsTheIdentity) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  expectFloats(run(params(Activation::kClip, -kInf, kInf), kInput), kInput);
}

TEST(RefActivation, Sigmoid) {
  // 1 / (1 + e^-x): sigmoid(1) = 0.7310586, sigmoid(4) = 0.9820138.
  expectFloats(run(params(Activation::kSigmoid), kInput),
               {0.0179862f, 0.2689414f, 0.4378235f, 0.5f, 0.6224593f, 0.7310586f, 0.9820138f});
}

TEST(RefActivation, SigmoidSaturatesWithoutNaN) {
  const std::vector<float> y = run(params(Activation::kSigmoid), {-200.0f, 200.0f});
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 1.0f);
}

TEST(RefActivation, HardSigmoid) {
  // max(0, min(1, 0.2x + 0.5)), ONNX's defaults.
  expectFloats(run(params(Activation::kHardSigmoid, 0.2f, 0.5f), kInput),
               {0, 0.3f, 0.45f, 0.5f, 0.6f, 0.7f, 1});
}

TEST(RefActivation, HardSwish) {
  // x * max(0, min(1, x / 6 + 0.5)).
  expectFloats(run(params(Activation::kHardSwish), kInput),
               {0, -1.0f / 3.0f, -0.25f * (0.5f - 0.25f / 6.0f), 0, 0.5f * (0.5f + 0.5f / 6.0f),
                1.0f * (0.5f + 1.0f / 6.0f), 4});
}

TEST(RefActivation, HardSwishAffine) {
  // HardSwish, then * alpha + beta.
  const float alpha = -2.0f, beta = 0.5f;
  const std::vector<float> hs = {0, -1.0f / 3.0f, -0.25f * (0.5f - 0.25f / 6.0f), 0,
                                 0.5f * (0.5f + 0.5f / 6.0f), 1.0f * (0.5f + 1.0f / 6.0f), 4};
  std::vector<float> want;
  for (float h : hs) want.push_back(h * alpha + beta);
  expectFloats(run(params(Activation::kHardSwishAffine, alpha, beta), kInput), want);
}

TEST(RefActivation, Tanh) {
  expectFloats(run(params(Activation::kTanh), kInput),
               {-0.9993293f, -0.7615942f, -0.2449187f, 0, 0.4621172f, 0.7615942f, 0.9993293f});
}

TEST(RefActivation, NoneCopies) { expectFloats(run(params(Activation::kNone), kInput), kInput); }

TEST(RefActivation, InPlacePrimeSize) {
  std::vector<float> x(13);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 6.0f;
  std::vector<float> want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = x[i] < 0 ? 0.5f * x[i] : x[i];
  expectFloats(run(params(Activation::kLeakyRelu, 0.5f), x, true), want);
}

TEST(RefActivation, OutputTypeIsTheInputType) {
  TensorType out;
  const TensorType x{DType::kFloat32, Shape::of({2, 3, 5})};
  EXPECT_EQ(inferError(params(Activation::kTanh), {x}, &out), "ok");
  EXPECT_EQ(out, x);
  EXPECT_EQ(inferError(params(Activation::kRelu), {{DType::kFloat32, Shape{}}}, &out), "ok");
  EXPECT_EQ(out.shape.rank, 0);
}

TEST(RefActivation, InferErrors) {
  const TensorType f{DType::kFloat32, Shape::of({4})};
  EXPECT_EQ(inferError(params(Activation::kSigmoid), {{DType::kInt32, Shape::of({4})}}),
            "Sigmoid: input is int32, expected float32");
  EXPECT_EQ(inferError(params(Activation::kRelu), {{DType::kBool, Shape::of({4})}}),
            "Relu: input is bool, expected float32 or an integer type");
  EXPECT_EQ(inferError(params(static_cast<Activation>(9)), {f}),
            "Activation: unknown activation 9");
  EXPECT_EQ(inferError(params(Activation::kHardSwishAffine, std::nanf(""), 1.0f), {f}),
            "Activation: activation parameter is NaN");
  EXPECT_EQ(inferError(params(Activation::kLeakyRelu, std::nanf("")), {f}),
            "Activation: activation parameter is NaN");
  EXPECT_EQ(inferError(params(Activation::kClip, 2.0f, 1.0f), {f}),
            "Activation: Clip min 2 is above max 1");
  EXPECT_EQ(inferError(params(Activation::kSigmoid), {f, f}),
            "Sigmoid: expected 1..1 inputs, found 2");
  EXPECT_EQ(inferError(params(Activation::kTanh), {{DType::kFloat32, Shape::of({-3})}}),
            "Tanh: dimension 0 is -3");
  ActivationParams reserved = params(Activation::kRelu);
  reserved.reserved[2] = 7;
  EXPECT_EQ(inferError(reserved, {f}), "Relu: reserved parameter bytes are not zero");
}

}  // namespace
}  // namespace edgert::kernels

namespace edgert::kernels::test {
namespace {

// Relu, Clip and the identity also run on integers (ONNX Clip-13 allows int8 etc.): bounds
// become ceil(min) and floor(max), saturated to the type.
TEST(RefActivation, IntegerReluAndClip) {
  const Shape s = Shape::of({7});
  const Buffer i8 = tensor<std::int8_t>(DType::kInt8, s, {-128, -5, -1, 0, 1, 5, 127});
  ActivationParams clip = params(Activation::kClip, -2.5f, 3.5f);
  EXPECT_EQ(valuesOf<std::int8_t>(runOp(OpCode::kActivation, &clip, {&i8})),
            (std::vector<std::int8_t>{-2, -2, -1, 0, 1, 3, 3}));
  ActivationParams wide = params(Activation::kClip, -1e9f, 1e9f);  // saturates to the type
  EXPECT_EQ(valuesOf<std::int8_t>(runOp(OpCode::kActivation, &wide, {&i8})),
            (std::vector<std::int8_t>{-128, -5, -1, 0, 1, 5, 127}));
  const Buffer i64 = tensor<std::int64_t>(DType::kInt64, s, {INT64_MIN, -5, -1, 0, 1, 5, INT64_MAX});
  ActivationParams relu = params(Activation::kRelu);
  EXPECT_EQ(valuesOf<std::int64_t>(runOp(OpCode::kActivation, &relu, {&i64}, overInput(0))),
            (std::vector<std::int64_t>{0, 0, 0, 0, 1, 5, INT64_MAX}));
  const Buffer u8 = tensor<std::uint8_t>(DType::kUint8, s, {0, 1, 2, 3, 200, 254, 255});
  ActivationParams u8clip = params(Activation::kClip, 2.0f, 254.0f);
  EXPECT_EQ(valuesOf<std::uint8_t>(runOp(OpCode::kActivation, &u8clip, {&u8})),
            (std::vector<std::uint8_t>{2, 2, 2, 3, 200, 254, 254}));
}

}  // namespace
}  // namespace edgert::kernels::test
