// The Reduce family's reference kernel: ReduceMean's hand-computed cases, every axes mask of
// a 4-D tensor with and without keepDims against a naive formulation, edge cases and infer
// errors; then every other kind, ArgMax and ArgMin with ties, and their empty sets.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

Tensor reduceMean(std::uint32_t mask, bool keepDims, const Tensor& x) {
  ReduceParams p;
  p.axesMask = mask;
  p.keepDims = keepDims;
  return runOp(OpCode::kReduce, &p, {&x});
}

const std::vector<float> kExample = {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2};

TEST(ReduceMeanRef, HandComputed) {
  const Tensor x = tensor({3, 2, 2}, kExample);
  Tensor y = reduceMean(0b010, true, x);
  EXPECT_EQ(y.shape, Shape::of({3, 1, 2}));
  expectClose(y.data, {12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}, 0, 0);

  y = reduceMean(0b010, false, x);
  EXPECT_EQ(y.shape, Shape::of({3, 2}));
  expectClose(y.data, {12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}, 0, 0);

  y = reduceMean(0b101, true, x);
  EXPECT_EQ(y.shape, Shape::of({1, 2, 1}));
  expectClose(y.data, {(5 + 1 + 30 + 1 + 55 + 1) / 6.0f, (20 + 2 + 40 + 2 + 60 + 2) / 6.0f});
}

TEST(ReduceMeanRef, AllAxes) {
  const Tensor x = tensor({3, 2, 2}, kExample);
  Tensor y = reduceMean(0b111, false, x);
  EXPECT_EQ(y.shape, Shape::of({}));
  expectClose(y.data, {18.25f}, 0, 0);
  y = reduceMean(0b111, true, x);
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1}));
  expectClose(y.data, {18.25f}, 0, 0);
}

TEST(ReduceMeanRef, EmptyMaskCopies) {
  const Tensor x = tensor({3, 2, 2}, kExample);
  const Tensor y = reduceMean(0, false, x);
  EXPECT_EQ(y.shape, x.shape);
  expectClose(y.data, kExample, 0, 0);
  const Tensor s = reduceMean(0, true, tensor({}, {4}));
  EXPECT_EQ(s.shape, Shape::of({}));
  expectClose(s.data, {4}, 0, 0);
}

TEST(ReduceMeanRef, EmptyReductionIsNaN) {
  const Tensor y = reduceMean(0b10, true, tensor({2, 0}));
  EXPECT_EQ(y.shape, Shape::of({2, 1}));
  expectClose(y.data,
              {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::quiet_NaN()});
}

TEST(ReduceMeanRef, EveryMaskMatchesNaive) {
  std::mt19937 rng(1);
  const std::int64_t dims[4] = {2, 3, 5, 7};
  const Tensor x = randomTensor(Shape::of({2, 3, 5, 7}), rng);
  for (std::uint32_t mask = 0; mask < 16; ++mask) {
    // Accumulate every element into its output slot: the output index drops (or zeroes)
    // the reduced coordinates.
    std::int64_t outDims[4];
    std::int64_t outCount = 1, group = 1;
    for (int i = 0; i < 4; ++i) {
      const bool reduced = (mask >> i) & 1u;
      outDims[i] = reduced ? 1 : dims[i];
      outCount *= outDims[i];
      if (reduced) group *= dims[i];
    }
    std::vector<double> sums(static_cast<std::size_t>(outCount), 0.0);
    for (std::int64_t a = 0; a < 2; ++a) {
      for (std::int64_t b = 0; b < 3; ++b) {
        for (std::int64_t c = 0; c < 5; ++c) {
          for (std::int64_t d = 0; d < 7; ++d) {
            const std::int64_t idx[4] = {a, b, c, d};
            std::int64_t out = 0;
            for (int i = 0; i < 4; ++i) out = out * outDims[i] + (((mask >> i) & 1u) ? 0 : idx[i]);
            sums[static_cast<std::size_t>(out)] +=
                x.data[static_cast<std::size_t>(((a * 3 + b) * 5 + c) * 7 + d)];
          }
        }
      }
    }
    std::vector<float> want;
    for (const double s : sums) want.push_back(static_cast<float>(s / static_cast<double>(group)));
    for (int keep = 0; keep < 2; ++keep) {
      const Tensor y = reduceMean(mask, keep, x);
      Shape wantShape;
      for (int i = 0; i < 4; ++i) {
        if (!((mask >> i) & 1u) || keep) wantShape.dims[wantShape.rank++] = outDims[i];
      }
      EXPECT_EQ(y.shape, wantShape) << "mask " << mask;
      expectClose(y.data, want);
    }
  }
}

TEST(ReduceMeanRef, InferErrors) {
  ReduceParams p;
  p.axesMask = 0b1000;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({2, 3, 4})}),
            "ReduceMean: axes mask 0x8 names axes beyond X 2x3x4 (rank 3)");
  p.axesMask = 0x80000000u;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({1, 1, 1, 1, 1, 1, 1, 1})}),
            "ReduceMean: axes mask 0x80000000 names axes beyond X 1x1x1x1x1x1x1x1 (rank 8)");
  p.axesMask = 1;
  p.keepDims = 3;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({2, 3, 4})}),
            "ReduceMean: keepDims is 3, expected 0 or 1");
  p.keepDims = 0;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {TensorType{DType::kInt64, Shape::of({2})}}),
            "ReduceMean: input 0 is int64, expected float32");
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({})}),
            "ReduceMean: axes mask 0x1 names axes beyond X scalar (rank 0)");
}

Tensor reduce(ReduceKind kind, std::uint32_t mask, bool keepDims, const Tensor& x) {
  ReduceParams p;
  p.kind = kind;
  p.axesMask = mask;
  p.keepDims = keepDims;
  return runOp(OpCode::kReduce, &p, {&x});
}

TEST(ReduceRef, EveryKindOverOneAxis) {
  const Tensor x = tensor({2, 3}, {1, -2, 3, 0.5f, 4, -1});
  const auto over1 = [&](ReduceKind k) { return reduce(k, 0b10, false, x).data; };
  expectClose(over1(ReduceKind::kSum), {2, 3.5f});
  expectClose(over1(ReduceKind::kMax), {3, 4});
  expectClose(over1(ReduceKind::kMin), {-2, -1});
  expectClose(over1(ReduceKind::kProd), {-6, -2});
  expectClose(over1(ReduceKind::kL1), {6, 5.5f});
  expectClose(over1(ReduceKind::kL2), {std::sqrt(14.0f), std::sqrt(17.25f)});
  expectClose(over1(ReduceKind::kSumSquare), {14, 17.25f});
  expectClose(over1(ReduceKind::kLogSum), {std::log(2.0f), std::log(3.5f)});
  expectClose(over1(ReduceKind::kLogSumExp),
              {std::log(std::exp(1.0f) + std::exp(-2.0f) + std::exp(3.0f)),
               std::log(std::exp(0.5f) + std::exp(4.0f) + std::exp(-1.0f))});
  // Log-sum-exp of large values does not overflow.
  expectClose(reduce(ReduceKind::kLogSumExp, 0b1, false, tensor({2}, {1000, 1000})).data, {1000 + std::log(2.0f)});
}

TEST(ReduceRef, ArgMaxAndArgMinGiveInt64IndicesFirstOrLastOfTies) {
  const Buffer x = floats(Shape::of({2, 4}), {1, 7, 7, 2, 5, 0, 5, 0});
  ReduceParams p;
  p.kind = ReduceKind::kArgMax;
  p.axesMask = 0b10;
  p.keepDims = 1;
  Buffer y = runOp(OpCode::kReduce, &p, {&x});
  EXPECT_EQ(y.type, (TensorType{DType::kInt64, Shape::of({2, 1})}));
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{1, 0}));
  p.selectLastIndex = 1;
  EXPECT_EQ(valuesOf<std::int64_t>(runOp(OpCode::kReduce, &p, {&x})), (std::vector<std::int64_t>{2, 2}));
  p.kind = ReduceKind::kArgMin;
  p.axesMask = 0b01;
  p.keepDims = 0;
  p.selectLastIndex = 0;
  EXPECT_EQ(valuesOf<std::int64_t>(runOp(OpCode::kReduce, &p, {&x})), (std::vector<std::int64_t>{0, 1, 1, 1}));
}

TEST(ReduceRef, EmptySetsAndInferErrorsOfTheKinds) {
  const Tensor empty = tensor({2, 0}, {});
  EXPECT_EQ(reduce(ReduceKind::kSum, 0b10, false, empty).data, (std::vector<float>{0, 0}));
  EXPECT_EQ(reduce(ReduceKind::kProd, 0b10, false, empty).data, (std::vector<float>{1, 1}));
  EXPECT_EQ(reduce(ReduceKind::kMax, 0b10, false, empty).data[0], -std::numeric_limits<float>::infinity());
  ReduceParams p;
  p.kind = ReduceKind::kArgMax;
  p.axesMask = 0b11;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({2, 3})}), "ArgMax: axes mask 0x3 must name exactly one axis");
  p.axesMask = 0b10;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({2, 0})}), "ArgMax: axis 1 of X 2x0 is empty");
  p.kind = ReduceKind::kSum;
  p.selectLastIndex = 1;
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({2, 3})}), "ReduceSum: reserved parameter bytes are not zero");
  p.selectLastIndex = 0;
  p.kind = static_cast<ReduceKind>(kMaxReduceKind + 1);
  EXPECT_EQ(inferError(OpCode::kReduce, &p, {f32({2, 3})}), "Reduce: unknown kind 12");
}

}  // namespace
}  // namespace edgert::kernels
