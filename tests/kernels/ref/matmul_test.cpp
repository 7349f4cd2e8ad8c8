// MatMul reference kernel: hand-computed cases for each operand rank combination, batch
// broadcasting against a per-matrix naive product, and infer errors.
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

const MatMulParams kParams{};

Tensor matmul(const Tensor& a, const Tensor& b) {
  return runOp(OpCode::kMatMul, &kParams, {&a, &b});
}

TEST(MatMulRef, HandComputed2D) {
  const Tensor y = matmul(tensor({2, 3}, {1, 2, 3, 4, 5, 6}), tensor({3, 2}, {1, -1, 2, 0, 0, 3}));
  EXPECT_EQ(y.shape, Shape::of({2, 2}));
  expectClose(y.data, {5, 8, 14, 14}, 0, 0);
}

TEST(MatMulRef, VectorOperandsDropTheirAxis) {
  const Tensor v = tensor({3}, {1, 2, 3});
  Tensor y = matmul(v, tensor({3}, {4, 5, 6}));
  EXPECT_EQ(y.shape, Shape::of({}));
  expectClose(y.data, {32}, 0, 0);

  y = matmul(v, tensor({3, 2}, {1, 0, 0, 1, 1, 1}));
  EXPECT_EQ(y.shape, Shape::of({2}));
  expectClose(y.data, {4, 5}, 0, 0);

  y = matmul(tensor({2, 3}, {1, 0, 0, 1, 1, 1}), v);
  EXPECT_EQ(y.shape, Shape::of({2}));
  expectClose(y.data, {1, 6}, 0, 0);

  // 1-D A against a batch of matrices: (3) x (2, 3, 1) -> (2, 1).
  y = matmul(v, tensor({2, 3, 1}, {1, 1, 1, 0, 0, 2}));
  EXPECT_EQ(y.shape, Shape::of({2, 1}));
  expectClose(y.data, {6, 6}, 0, 0);

  // Batch of matrices against a 1-D B: (2, 1, 3) x (3) -> (2, 1).
  y = matmul(tensor({2, 1, 3}, {1, 1, 1, 0, 0, 2}), v);
  EXPECT_EQ(y.shape, Shape::of({2, 1}));
  expectClose(y.data, {6, 6}, 0, 0);
}

TEST(MatMulRef, RandomBatchBroadcastMatchesNaive) {
  std::mt19937 rng(1);
  struct Case {
    Shape a, b, y;
  };
  const Case cases[] = {
      {Shape::of({2, 1, 3, 4}), Shape::of({5, 4, 2}), Shape::of({2, 5, 3, 2})},
      {Shape::of({7, 1, 1}), Shape::of({1, 1, 3}), Shape::of({7, 1, 3})},
      {Shape::of({3, 5, 2}), Shape::of({3, 2, 1}), Shape::of({3, 5, 1})},
      {Shape::of({1, 1, 1, 1, 1, 1, 2, 3}), Shape::of({3, 3, 1}),
       Shape::of({1, 1, 1, 1, 1, 3, 2, 1})},
  };
  for (const Case& c : cases) {
    const Tensor a = randomTensor(c.a, rng);
    const Tensor b = randomTensor(c.b, rng);
    const Tensor y = matmul(a, b);
    ASSERT_EQ(y.shape, c.y);
    const std::int64_t m = c.a.dims[c.a.rank - 2], k = c.a.dims[c.a.rank - 1];
    const std::int64_t n = c.b.dims[c.b.rank - 1];
    // Walk Y's batch index; pick A's and B's matrices by reading their batch dims from the
    // right, index 0 where a dim is 1 or missing.
    const int batchRank = c.y.rank - 2;
    const std::int64_t batches = c.y.numel() / (m * n);
    std::vector<float> want;
    for (std::int64_t flat = 0; flat < batches; ++flat) {
      std::vector<std::int64_t> index(static_cast<std::size_t>(batchRank));
      std::int64_t rest = flat;
      for (int i = batchRank - 1; i >= 0; --i) {
        index[static_cast<std::size_t>(i)] = rest % c.y.dims[i];
        rest /= c.y.dims[i];
      }
      const auto matrixOf = [&](const Shape& s) {
        std::int64_t at = 0;
        for (int i = 0; i < s.rank - 2; ++i) {
          const std::int64_t yi = index[static_cast<std::size_t>(i + batchRank - (s.rank - 2))];
          at = at * s.dims[i] + (s.dims[i] == 1 ? 0 : yi);
        }
        return at;
      };
      const float* am = a.data.data() + matrixOf(c.a) * m * k;
      const float* bm = b.data.data() + matrixOf(c.b) * k * n;
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (std::int64_t l = 0; l < k; ++l) sum += double{am[i * k + l]} * bm[l * n + j];
          want.push_back(static_cast<float>(sum));
        }
      }
    }
    expectClose(y.data, want);
  }
}

TEST(MatMulRef, EmptyDimensions) {
  // K = 0: every output is the empty sum 0.
  Tensor y = matmul(tensor({2, 0}), tensor({0, 3}));
  EXPECT_EQ(y.shape, Shape::of({2, 3}));
  expectClose(y.data, {0, 0, 0, 0, 0, 0}, 0, 0);
  y = matmul(tensor({0, 2, 2}), tensor({2, 2}));
  EXPECT_EQ(y.shape, Shape::of({0, 2, 2}));
}

TEST(MatMulRef, InferErrors) {
  EXPECT_EQ(inferError(OpCode::kMatMul, &kParams, {f32({2, 3}), f32({4, 5})}),
            "MatMul: inner dimensions differ: A 2x3 has K 3, B 4x5 has K 4");
  EXPECT_EQ(inferError(OpCode::kMatMul, &kParams, {f32({3}), f32({4})}),
            "MatMul: inner dimensions differ: A 3 has K 3, B 4 has K 4");
  EXPECT_EQ(inferError(OpCode::kMatMul, &kParams, {f32({2, 2, 3}), f32({3, 3, 4})}),
            "MatMul: batch dimensions of A 2x2x3 and B 3x3x4 do not broadcast");
  EXPECT_EQ(inferError(OpCode::kMatMul, &kParams, {f32({}), f32({3, 4})}),
            "MatMul: input 0 is a scalar");
  EXPECT_EQ(inferError(OpCode::kMatMul, &kParams,
                       {f32({3, 4}), TensorType{DType::kInt32, Shape::of({4})}}),
            "MatMul: input 1 is int32, expected float32");
  EXPECT_EQ(inferError(OpCode::kMatMul, &kParams, {f32({3, 4})}),
            "MatMul: expected 2..2 inputs, found 1");
}

}  // namespace
}  // namespace edgert::kernels
