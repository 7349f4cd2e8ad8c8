// GlobalAveragePool reference kernel: hand-computed means for 1-D, 2-D and 3-D spatial
// shapes, random data against a naive mean, and infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

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
