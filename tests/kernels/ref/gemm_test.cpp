// Gemm reference kernel: hand-computed cases, every transpose combination and C broadcast
// against a naive product of explicitly transposed matrices, and infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

GemmParams gemm(float alpha, float beta, bool transA, bool transB, bool hasC) {
  GemmParams p;
  p.alpha = alpha;
  p.beta = beta;
  p.transA = transA;
  p.transB = transB;
  p.hasC = hasC;
  return p;
}

// rows x cols row-major matrix transposed.
std::vector<float> transposed(const std::vector<float>& m, std::int64_t rows, std::int64_t cols) {
  std::vector<float> t(m.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      t[static_cast<std::size_t>(c * rows + r)] = m[static_cast<std::size_t>(r * cols + c)];
    }
  }
  return t;
}

TEST(GemmRef, HandComputed) {
  const Tensor a = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = tensor({3, 2}, {1, 0, 0, 1, 1, 1});
  const GemmParams p = gemm(1, 1, false, false, false);
  const Tensor y = runOp(OpCode::kGemm, &p, {&a, &b});
  EXPECT_EQ(y.shape, Shape::of({2, 2}));
  expectClose(y.data, {4, 5, 10, 11}, 0, 0);
}

TEST(GemmRef, HandComputedAlphaBetaAndEachCShape) {
  const Tensor a = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = tensor({3, 2}, {1, 0, 0, 1, 1, 1});
  const GemmParams p = gemm(2, 0.5f, false, false, true);
  // 2 * AB = [[8, 10], [20, 22]].
  struct Case {
    Tensor c;
    std::vector<float> want;
  };
  const Case cases[] = {
      {tensor({}, {4}), {10, 12, 22, 24}},
      {tensor({1}, {4}), {10, 12, 22, 24}},
      {tensor({2}, {2, 4}), {9, 12, 21, 24}},
      {tensor({1, 2}, {2, 4}), {9, 12, 21, 24}},
      {tensor({2, 1}, {2, 4}), {9, 11, 22, 24}},
      {tensor({1, 1}, {-2}), {7, 9, 19, 21}},
      {tensor({2, 2}, {2, 4, 6, 8}), {9, 12, 23, 26}},
  };
  for (const Case& c : cases) {
    const Tensor y = runOp(OpCode::kGemm, &p, {&a, &b, &c.c});
    expectClose(y.data, c.want, 0, 0);
  }
}

TEST(GemmRef, RandomTransposesAndBroadcastMatchNaive) {
  std::mt19937 rng(1);
  struct Size {
    std::int64_t m, k, n;
  };
  for (const Size s : {Size{1, 1, 1}, Size{3, 5, 7}, Size{13, 1, 2}, Size{1, 17, 11}}) {
    const Tensor a = randomTensor(Shape::of({s.m, s.k}), rng);
    const Tensor b = randomTensor(Shape::of({s.k, s.n}), rng);
    const Tensor at = tensor({s.k, s.m}, transposed(a.data, s.m, s.k));
    const Tensor bt = tensor({s.n, s.k}, transposed(b.data, s.k, s.n));
    const Tensor cs[] = {randomTensor(Shape::of({s.m, s.n}), rng),
                         randomTensor(Shape::of({s.n}), rng),
                         randomTensor(Shape::of({s.m, 1}), rng), randomTensor(Shape::of({}), rng)};
    for (const Tensor& c : cs) {
      // Y(i, j) = 0.75 * sum_l A(i, l) B(l, j) - 1.5 * C broadcast.
      std::vector<float> want(static_cast<std::size_t>(s.m * s.n));
      for (std::int64_t i = 0; i < s.m; ++i) {
        for (std::int64_t j = 0; j < s.n; ++j) {
          double sum = 0;
          for (std::int64_t l = 0; l < s.k; ++l) {
            sum += double{a.data[static_cast<std::size_t>(i * s.k + l)]} *
                   b.data[static_cast<std::size_t>(l * s.n + j)];
          }
          std::int64_t ci = 0;
          if (c.shape.rank == 2) ci = i * (c.shape.dims[1]) + (c.shape.dims[1] == 1 ? 0 : j);
          if (c.shape.rank == 1) ci = j;
          want[static_cast<std::size_t>(i * s.n + j)] =
              static_cast<float>(0.75 * sum - 1.5 * c.data[static_cast<std::size_t>(ci)]);
        }
      }
      for (int ta = 0; ta < 2; ++ta) {
        for (int tb = 0; tb < 2; ++tb) {
          const GemmParams p = gemm(0.75f, -1.5f, ta, tb, true);
          const Tensor y = runOp(OpCode::kGemm, &p, {ta ? &at : &a, tb ? &bt : &b, &c});
          ASSERT_EQ(y.shape, Shape::of({s.m, s.n}));
          expectClose(y.data, want);
        }
      }
    }
  }
}

TEST(GemmRef, WithoutCIgnoresBeta) {
  const Tensor a = tensor({1, 2}, {1, 2});
  const Tensor b = tensor({2, 1}, {3, 4});
  const GemmParams p = gemm(-1, 100, false, false, false);
  const Tensor y = runOp(OpCode::kGemm, &p, {&a, &b, nullptr});
  expectClose(y.data, {-11}, 0, 0);
}

TEST(GemmRef, InferErrors) {
  GemmParams p = gemm(1, 1, false, false, false);
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({4, 5})}),
            "Gemm: inner dimensions differ: A 2x3 (transA 0) has K 3, B 4x5 (transB 0) has K 4");
  p.transA = 1;
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5})}),
            "Gemm: inner dimensions differ: A 2x3 (transA 1) has K 2, B 3x5 (transB 0) has K 3");
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({3, 2}), f32({3, 5})}), "ok");
  p = gemm(1, 1, false, false, false);
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3, 1}), f32({3, 5})}),
            "Gemm: A 2x3x1 and B 3x5 must both be matrices");
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5}), f32({5})}),
            "Gemm: hasC is 0 but input C is present");
  p.hasC = 1;
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5}), f32({2})}),
            "Gemm: C 2 cannot be broadcast to Y 2x5");
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5}), f32({5, 2})}),
            "Gemm: C 5x2 cannot be broadcast to Y 2x5");
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5}), f32({1, 2, 5})}),
            "Gemm: C 1x2x5 cannot be broadcast to Y 2x5");
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5}), absentType()}),
            "Gemm: hasC is 1 but input C is absent");
  p = gemm(1, 1, false, false, false);
  p.transB = 7;
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5})}),
            "Gemm: transA 0, transB 7, hasC 0: each must be 0 or 1");
  p = gemm(std::numeric_limits<float>::quiet_NaN(), 1, false, false, false);
  EXPECT_EQ(inferError(OpCode::kGemm, &p, {f32({2, 3}), f32({3, 5})}),
            "Gemm: alpha nan and beta 1 must be finite");
  p = gemm(1, 1, false, false, false);
  EXPECT_EQ(
      inferError(OpCode::kGemm, &p, {f32({2, 3}), TensorType{DType::kInt64, Shape::of({3, 5})}}),
      "Gemm: input 1 is int64, expected float32");
}

}  // namespace
}  // namespace edgert::kernels
