// Reference Slice kernel: positive and negative steps on awkward sizes, empty results, every
// element size, and infer errors for parameters that would read out of bounds, through the
// registry as the loader uses it.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

using Params = SliceParams;
constexpr OpCode kCode = OpCode::kSlice;

// "ok" (and the output type) or the error message of the op's infer function.
std::string inferError(const Params& p, const TensorType& x, TensorType* outType = nullptr) {
  return test::inferError(kCode, &p, {x}, outType);
}

Buffer run(const Params& p, const Buffer& x) { return runOp(kCode, &p, {&x}); }

struct AxisSlice {
  std::int64_t start;
  std::int64_t step;
  std::int64_t count;
};

Params slice(std::initializer_list<AxisSlice> axes) {
  Params p;
  for (const AxisSlice& a : axes) {
    p.start[p.rank] = a.start;
    p.step[p.rank] = a.step;
    p.count[p.rank] = a.count;
    ++p.rank;
  }
  return p;
}

TEST(RefSlice, RowsAndStridedColumns) {
  // 3x4 = [[0 1 2 3] [4 5 6 7] [8 9 10 11]]; rows 1..2, columns 0 and 2.
  const Buffer y = run(slice({{1, 1, 2}, {0, 2, 2}}),
                       tensor(DType::kFloat32, Shape::of({3, 4}), iota<float>(12, 0)));
  EXPECT_EQ(y.type, (TensorType{DType::kFloat32, Shape::of({2, 2})}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{4, 6, 8, 10}));
}

TEST(RefSlice, NegativeStepReverses) {
  const Buffer y = run(slice({{4, -1, 5}}),
                       tensor<std::int32_t>(DType::kInt32, Shape::of({5}), {1, 2, 3, 4, 5}));
  EXPECT_EQ(valuesOf<std::int32_t>(y), (std::vector<std::int32_t>{5, 4, 3, 2, 1}));
}

TEST(RefSlice, NegativeStepOfTwoOnPrimeSizes) {
  // 7x3: rows 6, 4, 2, 0 and columns 2, 0 (step -2 on both axes).
  const Buffer y = run(slice({{6, -2, 4}, {2, -2, 2}}),
                       tensor(DType::kInt64, Shape::of({7, 3}), iota<std::int64_t>(21, 0)));
  EXPECT_EQ(y.type, (TensorType{DType::kInt64, Shape::of({4, 2})}));
  EXPECT_EQ(valuesOf<std::int64_t>(y), (std::vector<std::int64_t>{20, 18, 14, 12, 8, 6, 2, 0}));
}

TEST(RefSlice, MiddleAxisOfRank4) {
  // 2x5x1x3, axis 1 from 3 with step -3 (indices 3, 0): y[n][j][0][k] = x[n][3 - 3j][0][k].
  const std::vector<std::uint8_t> x = iota<std::uint8_t>(30, 0);
  const Buffer y = run(slice({{0, 1, 2}, {3, -3, 2}, {0, 1, 1}, {0, 1, 3}}),
                       tensor(DType::kUint8, Shape::of({2, 5, 1, 3}), x));
  EXPECT_EQ(y.type.shape, Shape::of({2, 2, 1, 3}));
  EXPECT_EQ(valuesOf<std::uint8_t>(y),
            (std::vector<std::uint8_t>{9, 10, 11, 0, 1, 2, 24, 25, 26, 15, 16, 17}));
}

TEST(RefSlice, SingleElementWithAHugeStep) {
  // count 1 reads only start, whatever the step.
  const Buffer y = run(slice({{2, std::numeric_limits<std::int64_t>::max(), 1}}),
                       tensor<float>(DType::kFloat32, Shape::of({3}), {1, 2, 3}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{3}));
}

TEST(RefSlice, EmptyResultMayStartAnywhere) {
  // ONNX clamps an out-of-range start to the dimension: an empty axis, nothing read.
  const Buffer y = run(slice({{0, 1, 2}, {5, 1, 0}}),
                       tensor(DType::kFloat32, Shape::of({2, 5}), iota<float>(10, 0)));
  EXPECT_EQ(y.type.shape, Shape::of({2, 0}));
  EXPECT_TRUE(y.bytes.empty());
}

TEST(RefSlice, ScalarIsCopied) {
  const Buffer y = run(slice({}), tensor<float>(DType::kFloat32, Shape{}, {6.5f}));
  EXPECT_EQ(y.type.shape.rank, 0);
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{6.5f}));
}

TEST(RefSlice, InferErrors) {
  const TensorType x{DType::kFloat32, Shape::of({3, 4})};
  EXPECT_EQ(inferError(slice({{0, 1, 3}, {0, 0, 2}}), x), "Slice: axis 1 has step 0");
  EXPECT_EQ(inferError(slice({{2, 2, 2}, {0, 1, 4}}), x),
            "Slice: axis 0 (start 2, step 2, count 2) reads outside 0..2");
  EXPECT_EQ(inferError(slice({{-1, 1, 1}, {0, 1, 4}}), x),
            "Slice: axis 0 (start -1, step 1, count 1) reads outside 0..2");
  EXPECT_EQ(inferError(slice({{0, 1, 3}, {4, -1, 1}}), x),
            "Slice: axis 1 (start 4, step -1, count 1) reads outside 0..3");
  EXPECT_EQ(inferError(slice({{0, 1, 3}, {1, -1, 3}}), x),
            "Slice: axis 1 (start 1, step -1, count 3) reads outside 0..3");
  EXPECT_EQ(inferError(slice({{0, 1, 4}, {0, 1, 4}}), x),
            "Slice: axis 0 takes 4 elements of a dimension of 3");
  EXPECT_EQ(inferError(slice({{0, 1, -1}, {0, 1, 4}}), x),
            "Slice: axis 0 takes -1 elements of a dimension of 3");
  EXPECT_EQ(inferError(slice({{0, 1, 3}}), x), "Slice: params have rank 1, input shape 3x4 has 2");
  Params reserved = slice({{0, 1, 3}, {0, 1, 4}});
  reserved.reserved = 5;
  EXPECT_EQ(inferError(reserved, x), "Slice: reserved parameter is 5, expected 0");
}

TEST(RefSlice, InferRejectsIndexOverflowWithoutUndefinedBehaviour) {
  // (count - 1) * step and start + that overflow int64: rejected, never wrapped into range.
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const TensorType x{DType::kFloat32, Shape::of({3})};
  EXPECT_EQ(inferError(slice({{0, kMax, 3}}), x),
            "Slice: axis 0 (start 0, step 9223372036854775807, count 3) reads outside 0..2");
  EXPECT_EQ(inferError(slice({{2, kMin, 2}}), x),
            "Slice: axis 0 (start 2, step -9223372036854775808, count 2) reads outside 0..2");
  // 2 * -2^63 wraps to 0, so a check with wrapping arithmetic would find the last index
  // 1 + 0 in range; the middle index 1 - 2^63 is not.
  EXPECT_EQ(inferError(slice({{1, kMin, 3}}), x),
            "Slice: axis 0 (start 1, step -9223372036854775808, count 3) reads outside 0..2");
}

}  // namespace
}  // namespace edgert::kernels
