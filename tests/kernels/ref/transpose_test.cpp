// Reference Transpose kernel: hand-computed and index-formula cases on awkward sizes, every
// element size, and infer errors, through the registry as the loader uses it.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

using Params = TransposeParams;
constexpr OpCode kCode = OpCode::kTranspose;

// "ok" (and the output type) or the error message of the op's infer function.
std::string inferError(const Params& p, const TensorType& x, TensorType* outType = nullptr) {
  return test::inferError(kCode, &p, {x}, outType);
}

Buffer run(const Params& p, const Buffer& x) { return runOp(kCode, &p, {&x}); }

Params perm(std::initializer_list<std::int32_t> axes) {
  Params p;
  for (const std::int32_t a : axes) p.perm[p.rank++] = a;
  return p;
}

TEST(RefTranspose, Matrix) {
  const Buffer y =
      run(perm({1, 0}), tensor<float>(DType::kFloat32, Shape::of({2, 3}), {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(y.type, (TensorType{DType::kFloat32, Shape::of({3, 2})}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(RefTranspose, Rank3RotateAxes) {
  // x is 2x3x4 with x[i][j][k] = 100i + 10j + k; perm (2, 0, 1) gives y[k][i][j] = x[i][j][k].
  std::vector<std::int32_t> x;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) x.push_back(100 * i + 10 * j + k);
    }
  }
  const Buffer y = run(perm({2, 0, 1}), tensor(DType::kInt32, Shape::of({2, 3, 4}), x));
  EXPECT_EQ(y.type.shape, Shape::of({4, 2, 3}));
  std::vector<std::int32_t> want;
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) want.push_back(100 * i + 10 * j + k);
    }
  }
  EXPECT_EQ(valuesOf<std::int32_t>(y), want);
}

TEST(RefTranspose, NchwToNhwcPrimeSizesInt64) {
  // 1x3x5x7 -> 1x5x7x3: y[0][h][w][c] = x[0][c][h][w].
  const std::vector<std::int64_t> x = iota<std::int64_t>(105, 0);
  const Buffer y = run(perm({0, 2, 3, 1}), tensor(DType::kInt64, Shape::of({1, 3, 5, 7}), x));
  EXPECT_EQ(y.type, (TensorType{DType::kInt64, Shape::of({1, 5, 7, 3})}));
  std::vector<std::int64_t> want;
  for (std::size_t h = 0; h < 5; ++h) {
    for (std::size_t w = 0; w < 7; ++w) {
      for (std::size_t c = 0; c < 3; ++c) want.push_back(x[(c * 5 + h) * 7 + w]);
    }
  }
  EXPECT_EQ(valuesOf<std::int64_t>(y), want);
}

TEST(RefTranspose, ByteElementsAndSizeOneAxes) {
  const Buffer y = run(perm({2, 1, 0}), tensor<std::int8_t>(DType::kInt8, Shape::of({3, 1, 2}),
                                                            {1, -2, 3, -4, 5, -6}));
  EXPECT_EQ(y.type.shape, Shape::of({2, 1, 3}));
  EXPECT_EQ(valuesOf<std::int8_t>(y), (std::vector<std::int8_t>{1, 3, 5, -2, -4, -6}));
}

TEST(RefTranspose, IdentityPermCopies) {
  const std::vector<float> x = {9, 8, 7, 6, 5, 4};
  const Buffer y = run(perm({0, 1}), tensor(DType::kFloat32, Shape::of({3, 2}), x));
  EXPECT_EQ(valuesOf<float>(y), x);
}

TEST(RefTranspose, ScalarAndEmpty) {
  const Buffer s = run(perm({}), tensor<float>(DType::kFloat32, Shape{}, {3.0f}));
  EXPECT_EQ(s.type.shape.rank, 0);
  EXPECT_EQ(valuesOf<float>(s), (std::vector<float>{3.0f}));
  const Buffer e = run(perm({1, 0}), tensor<float>(DType::kFloat32, Shape::of({0, 4}), {}));
  EXPECT_EQ(e.type.shape, Shape::of({4, 0}));
}

TEST(RefTranspose, InferErrors) {
  const TensorType x{DType::kFloat32, Shape::of({2, 3, 4})};
  EXPECT_EQ(inferError(perm({1, 0}), x),
            "Transpose: perm has 2 entries, input shape 2x3x4 has rank 3");
  EXPECT_EQ(inferError(perm({0, 2, 2}), x), "Transpose: perm 0,2,2 is not a permutation of 0..2");
  EXPECT_EQ(inferError(perm({0, 3, 1}), x), "Transpose: perm 0,3,1 is not a permutation of 0..2");
  EXPECT_EQ(inferError(perm({-1, 0, 1}), x), "Transpose: perm -1,0,1 is not a permutation of 0..2");
  Params garbageRank;
  garbageRank.rank = 1000;
  EXPECT_EQ(inferError(garbageRank, x),
            "Transpose: perm has 1000 entries, input shape 2x3x4 has rank 3");
}

}  // namespace
}  // namespace edgert::kernels
