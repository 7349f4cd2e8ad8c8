// MatMul reference kernel: hand-computed cases for each operand rank combination, batch
// broadcasting against a per-matrix naive product, and infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

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
