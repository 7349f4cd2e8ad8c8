// GlobalAveragePool reference kernel: hand-computed means for 1-D, 2-D and 3-D spatial
// shapes, random data against a naive mean, and infer errors.
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

const GlobalPoolParams kParams{};

Tensor globalAveragePool(const Tensor& x) {
  return runOp(OpCode::kGlobalAveragePool, &kParams, {&x});
}

TEST(GlobalAveragePoolRef, HandComputed) {
  Tensor y = globalAveragePool(tensor({1, 2, 2, 2}, {1, 2, 3, 4, -1, -1, 5, 9}));
  EXPECT_EQ(y.shape, Shape::of({1, 2, 1, 1}));
  expectClose(y.data, {2.5f, 3}, 0, 0);

  y = globalAveragePool(tensor({2, 1, 3}, {1, 2, 6, 0, 0, -3}));
  EXPECT_EQ(y.shape, Shape::of({2, 1, 1}));
  expectClose(y.data, {3, -1}, 0, 0);

  y = globalAveragePool(tensor({1, 1, 2, 1, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1, 1, 1}));
  expectClose(y.data, {2.5f}, 0, 0);
}

TEST(GlobalAveragePoolRef, RandomMatchesNaive) {
  std::mt19937 rng(1);
  const Tensor x = randomTensor(Shape::of({3, 5, 7, 11}), rng);
  const Tensor y = globalAveragePool(x);
  ASSERT_EQ(y.shape, Shape::of({3, 5, 1, 1}));
  std::vector<float> want;
  for (std::int64_t plane = 0; plane < 15; ++plane) {
    double sum = 0;
    for (std::int64_t i = 0; i < 77; ++i) sum += x.data[static_cast<std::size_t>(plane * 77 + i)];
    want.push_back(static_cast<float>(sum / 77));
  }
  expectClose(y.data, want);
}

TEST(GlobalAveragePoolRef, SingleElementPlanesAreCopied) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({2, 3, 1, 1}), rng);
  expectClose(globalAveragePool(x).data, x.data, 0, 0);
}

TEST(GlobalAveragePoolRef, InferErrors) {
  EXPECT_EQ(inferError(OpCode::kGlobalAveragePool, &kParams, {f32({2, 3})}),
            "GlobalAveragePool: X 2x3 has no spatial axis (rank 2 < 3)");
  EXPECT_EQ(inferError(OpCode::kGlobalAveragePool, &kParams, {f32({2, 3, 4, 0})}),
            "GlobalAveragePool: X 2x3x4x0 is empty on spatial axis 3");
  EXPECT_EQ(inferError(OpCode::kGlobalAveragePool, &kParams,
                       {TensorType{DType::kInt8, Shape::of({2, 3, 4})}}),
            "GlobalAveragePool: input 0 is int8, expected float32");
  auto y = inferOp(OpCode::kGlobalAveragePool, &kParams, {f32({0, 3, 4, 4})});
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ(*y, f32({0, 3, 1, 1}));
}

}  // namespace
}  // namespace edgert::kernels
