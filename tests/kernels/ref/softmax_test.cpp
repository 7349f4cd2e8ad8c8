// Softmax reference kernel: hand-computed values, every axis of a 3-D tensor against a naive
// per-slice formulation, extreme inputs, and infer errors.
#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

// Test harness: float tensors owned by the test, run through the registry (the op's infer
// and its reference variant 0) exactly as the runtime would.
struct Tensor {
  Shape shape;
  std::vector<float> data;
};

Tensor tensor(std::initializer_list<std::int64_t> dims, std::vector<float> data = {}) {
  Tensor t{Shape::of(dims), std::move(data)};
  if (t.data.empty()) t.data.resize(static_cast<std::size_t>(t.shape.numel()));
  EXPECT_EQ(t.data.size(), static_cast<std::size_t>(t.shape.numel()));
  return t;
}

Tensor randomTensor(const Shape& shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape.numel()))};
  for (float& v : t.data) v = dist(rng);
  return t;
}

TensorType f32(std::initializer_list<std::int64_t> dims) {
  return TensorType{DType::kFloat32, Shape::of(dims)};
}

TensorType absentType() {
  TensorType t;
  t.shape.rank = kAbsentRank;
  return t;
}

// Y's type, or the infer error.
Result<TensorType> inferOp(OpCode code, const void* params, std::vector<TensorType> inputs) {
  const OpInfo* op = findOp(code);
  if (op == nullptr)
    return makeError(Errc::kInternal, "op {} not registered", static_cast<int>(code));
  TensorType out[1];
  EDGERT_TRY(op->infer(params, inputs, std::span<TensorType>(out)));
  return out[0];
}

// The infer error message ("" when infer succeeds).
std::string inferError(OpCode code, const void* params, std::vector<TensorType> inputs) {
  auto r = inferOp(code, params, std::move(inputs));
  return r.ok() ? std::string() : r.error().message();
}

// Infers Y, runs the reference kernel. nullptr inputs are absent optional inputs. Y starts
// filled with NaN so an element the kernel forgets to write shows. `alias`: Y is computed in
// place in a copy of input 0 (only for ops whose OpInfo allows it).
Tensor runOp(OpCode code, const void* params, std::vector<const Tensor*> inputs,
             bool alias = false) {
  std::vector<TensorType> types;
  std::vector<InTensor> ins;
  for (const Tensor* t : inputs) {
    TensorType type = t ? TensorType{DType::kFloat32, t->shape} : absentType();
    types.push_back(type);
    ins.push_back(InTensor{t ? reinterpret_cast<const std::byte*>(t->data.data()) : nullptr, type});
  }
  auto yType = inferOp(code, params, types);
  if (!yType.ok()) {
    ADD_FAILURE() << yType.error().message();
    return {};
  }
  Tensor y{yType->shape, std::vector<float>(static_cast<std::size_t>(yType->shape.numel()),
                                            std::numeric_limits<float>::quiet_NaN())};
  if (alias) {
    EXPECT_TRUE(findOp(code)->aliasInputs & 1u);
    y.data = inputs[0]->data;
    ins[0].data = reinterpret_cast<const std::byte*>(y.data.data());
  }
  const OutTensor out{reinterpret_cast<std::byte*>(y.data.data()), *yType};
  const KernelArgs args{params, ins, std::span<const OutTensor>(&out, 1), {}};
  const KernelVariant* ref = findVariant(code, 0);
  EXPECT_NE(ref, nullptr);
  if (ref) ref->run(args);
  return y;
}

// |got - want| <= abs + rel * |want| element by element, NaN only where NaN is expected.
void expectClose(const std::vector<float>& got, const std::vector<float>& want, double rel = 1e-5,
                 double abs = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": got " << got[i] << ", want NaN";
      continue;
    }
    if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
      continue;
    }
    const double tolerance = abs + rel * std::fabs(double{want[i]});
    EXPECT_LE(std::fabs(double{got[i]} - double{want[i]}), tolerance)
        << "at " << i << ": got " << got[i] << ", want " << want[i];
  }
}

Tensor softmax(const Tensor& x, std::int32_t axis) {
  const SoftmaxParams p{axis};
  return runOp(OpCode::kSoftmax, &p, {&x});
}

TEST(SoftmaxRef, HandComputed) {
  const Tensor y = softmax(tensor({1, 3}, {1, 2, 3}), 1);
  EXPECT_EQ(y.shape, Shape::of({1, 3}));
  // e^-2, e^-1, 1 over their sum.
  const double s = std::exp(-2.0) + std::exp(-1.0) + 1.0;
  expectClose(y.data, {static_cast<float>(std::exp(-2.0) / s),
                       static_cast<float>(std::exp(-1.0) / s), static_cast<float>(1.0 / s)});
}

TEST(SoftmaxRef, LargeInputsDoNotOverflow) {
  const Tensor y = softmax(tensor({2, 4}, {0, 1, 2, 3, 10000, 10001, 10002, 10003}), 1);
  const std::vector<float> row = {0.032058604f, 0.087144315f, 0.23688282f, 0.64391426f};
  expectClose(y.data, {row[0], row[1], row[2], row[3], row[0], row[1], row[2], row[3]});
}

TEST(SoftmaxRef, NegativeInfinityGetsZero) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = softmax(tensor({3}, {-inf, 0, -inf}), 0);
  expectClose(y.data, {0, 1, 0}, 0, 0);
}

TEST(SoftmaxRef, EveryAxisMatchesNaive) {
  std::mt19937 rng(1);
  Tensor x = randomTensor(Shape::of({3, 4, 5}), rng);
  for (float& v : x.data) v *= 20.0f;
  for (std::int32_t axis = 0; axis < 3; ++axis) {
    const Tensor y = softmax(x, axis);
    ASSERT_EQ(y.shape, x.shape);
    // For every element, normalise over the elements that differ from it only along `axis`.
    std::vector<float> want(x.data.size());
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t j = 0; j < 4; ++j) {
        for (std::int64_t k = 0; k < 5; ++k) {
          const auto at = [](std::int64_t a, std::int64_t b, std::int64_t c) {
            return static_cast<std::size_t>((a * 4 + b) * 5 + c);
          };
          double sum = 0;
          const std::int64_t len = x.shape.dims[axis];
          for (std::int64_t t = 0; t < len; ++t) {
            const std::size_t other = axis == 0   ? at(t, j, k)
                                      : axis == 1 ? at(i, t, k)
                                                  : at(i, j, t);
            sum += std::exp(double{x.data[other]});
          }
          want[at(i, j, k)] = static_cast<float>(std::exp(double{x.data[at(i, j, k)]}) / sum);
        }
      }
    }
    expectClose(y.data, want);
  }
}

TEST(SoftmaxRef, AxisOfLengthOneIsAllOnes) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({7, 1, 2}), rng);
  expectClose(softmax(x, 1).data, std::vector<float>(14, 1.0f), 0, 0);
}

TEST(SoftmaxRef, InferErrors) {
  const SoftmaxParams p{2};
  EXPECT_EQ(inferError(OpCode::kSoftmax, &p, {f32({3, 4})}),
            "Softmax: axis 2 is outside 0..1 for X 3x4");
  const SoftmaxParams negative{-1};
  EXPECT_EQ(inferError(OpCode::kSoftmax, &negative, {f32({3, 4})}),
            "Softmax: axis -1 is outside 0..1 for X 3x4");
  const SoftmaxParams zero{0};
  EXPECT_EQ(inferError(OpCode::kSoftmax, &zero, {f32({})}),
            "Softmax: X is a scalar, it has no axis to normalise");
  EXPECT_EQ(inferError(OpCode::kSoftmax, &zero, {TensorType{DType::kUint8, Shape::of({3})}}),
            "Softmax: input 0 is uint8, expected float32");
  auto y = inferOp(OpCode::kSoftmax, &zero, {f32({3, 4})});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, f32({3, 4}));
}

}  // namespace
}  // namespace edgert::kernels
