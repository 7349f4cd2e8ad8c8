// Reference Concat kernel: every axis, several dtypes, empty inputs, the 64-input limit and
// infer errors, through the registry as the loader uses it.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

// "ok" (and the output type) or the error message of the infer function.
std::string inferError(std::int32_t axis, std::vector<TensorType> inputs,
                       TensorType* outType = nullptr) {
  const ConcatParams p{axis};
  return test::inferError(OpCode::kConcat, &p, std::move(inputs), outType);
}

Buffer run(std::int32_t axis, const std::vector<Buffer>& inputs) {
  const ConcatParams p{axis};
  std::vector<const Buffer*> pointers;
  for (const Buffer& b : inputs) pointers.push_back(&b);
  return runOp(OpCode::kConcat, &p, pointers);
}

TEST(RefConcat, Axis0) {
  const Buffer y = run(0, {tensor<float>(DType::kFloat32, Shape::of({1, 2}), {1, 2}),
                           tensor<float>(DType::kFloat32, Shape::of({2, 2}), {3, 4, 5, 6})});
  EXPECT_EQ(y.type, (TensorType{DType::kFloat32, Shape::of({3, 2})}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(RefConcat, Axis1OfThreeInputs) {
  const Buffer y =
      run(1, {tensor<std::int32_t>(DType::kInt32, Shape::of({2, 1}), {1, 2}),
              tensor<std::int32_t>(DType::kInt32, Shape::of({2, 3}), {10, 11, 12, 20, 21, 22}),
              tensor<std::int32_t>(DType::kInt32, Shape::of({2, 2}), {-1, -2, -3, -4})});
  EXPECT_EQ(y.type, (TensorType{DType::kInt32, Shape::of({2, 6})}));
  EXPECT_EQ(valuesOf<std::int32_t>(y),
            (std::vector<std::int32_t>{1, 10, 11, 12, -1, -2, 2, 20, 21, 22, -3, -4}));
}

TEST(RefConcat, LastAxisPrimeSizesInt64) {
  // 3x5x2 and 3x5x7 along axis 2 -> 3x5x9.
  const std::vector<std::int64_t> a = iota<std::int64_t>(30, 0);
  const std::vector<std::int64_t> b = iota<std::int64_t>(105, 1000);
  const Buffer y = run(2, {tensor(DType::kInt64, Shape::of({3, 5, 2}), a),
                           tensor(DType::kInt64, Shape::of({3, 5, 7}), b)});
  EXPECT_EQ(y.type.shape, Shape::of({3, 5, 9}));
  std::vector<std::int64_t> want;
  for (std::size_t row = 0; row < 15; ++row) {
    for (std::size_t k = 0; k < 2; ++k) want.push_back(a[row * 2 + k]);
    for (std::size_t k = 0; k < 7; ++k) want.push_back(b[row * 7 + k]);
  }
  EXPECT_EQ(valuesOf<std::int64_t>(y), want);
}

TEST(RefConcat, MiddleAxisBytesAndBool) {
  const Buffer u8 = run(
      1, {tensor<std::uint8_t>(DType::kUint8, Shape::of({2, 1, 2}), {1, 2, 3, 4}),
          tensor<std::uint8_t>(DType::kUint8, Shape::of({2, 2, 2}), {5, 6, 7, 8, 9, 10, 11, 12})});
  EXPECT_EQ(valuesOf<std::uint8_t>(u8),
            (std::vector<std::uint8_t>{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}));
  const Buffer b = run(0, {tensor<std::uint8_t>(DType::kBool, Shape::of({1}), {1}),
                           tensor<std::uint8_t>(DType::kBool, Shape::of({2}), {0, 1})});
  EXPECT_EQ(b.type.dtype, DType::kBool);
  EXPECT_EQ(valuesOf<std::uint8_t>(b), (std::vector<std::uint8_t>{1, 0, 1}));
}

TEST(RefConcat, SingleInputCopies) {
  const Buffer y = run(0, {tensor<float>(DType::kFloat32, Shape::of({3}), {7, 8, 9})});
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{7, 8, 9}));
}

TEST(RefConcat, EmptyInputsAlongTheAxisContributeNothing) {
  const Buffer y = run(1, {tensor<float>(DType::kFloat32, Shape::of({2, 0}), {}),
                           tensor<float>(DType::kFloat32, Shape::of({2, 2}), {1, 2, 3, 4}),
                           tensor<float>(DType::kFloat32, Shape::of({2, 0}), {})});
  EXPECT_EQ(y.type.shape, Shape::of({2, 2}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{1, 2, 3, 4}));
}

TEST(RefConcat, EmptyOuterDimension) {
  const Buffer y = run(1, {tensor<float>(DType::kFloat32, Shape::of({0, 2}), {}),
                           tensor<float>(DType::kFloat32, Shape::of({0, 3}), {})});
  EXPECT_EQ(y.type.shape, Shape::of({0, 5}));
  EXPECT_TRUE(y.bytes.empty());
}

TEST(RefConcat, SixtyFourInputsOfOneElement) {
  std::vector<Buffer> inputs;
  for (std::int32_t i = 0; i < 64; ++i) {
    inputs.push_back(tensor<std::int32_t>(DType::kInt32, Shape::of({1, 1}), {i * 3}));
  }
  const Buffer y = run(1, inputs);
  EXPECT_EQ(y.type.shape, Shape::of({1, 64}));
  std::vector<std::int32_t> want;
  for (std::int32_t i = 0; i < 64; ++i) want.push_back(i * 3);
  EXPECT_EQ(valuesOf<std::int32_t>(y), want);
}

TEST(RefConcat, InferErrors) {
  const TensorType a{DType::kFloat32, Shape::of({1, 2, 4})};
  const TensorType b{DType::kFloat32, Shape::of({1, 3, 4})};
  EXPECT_EQ(inferError(1, {a, b, {DType::kFloat32, Shape::of({1, 3, 5})}}),
            "Concat: input 2 has shape 1x3x5, expected 1x?x4 at every axis except 1");
  EXPECT_EQ(inferError(1, {a, {DType::kFloat32, Shape::of({1, 3})}}),
            "Concat: input 1 has shape 1x3, expected 1x?x4 at every axis except 1");
  EXPECT_EQ(inferError(1, {a, {DType::kInt64, Shape::of({1, 3, 4})}}),
            "Concat: input 1 is int64, expected float32 like input 0");
  EXPECT_EQ(inferError(3, {a, b}),
            "Concat: axis 3 is out of range for input 0 of shape 1x2x4 (rank 3)");
  EXPECT_EQ(inferError(-1, {a, b}),
            "Concat: axis -1 is out of range for input 0 of shape 1x2x4 (rank 3)");
  EXPECT_EQ(inferError(0, {{DType::kFloat32, Shape{}}}),
            "Concat: axis 0 is out of range for input 0 of shape scalar (rank 0)");
  EXPECT_EQ(inferError(1, {a, {DType::kFloat32, Shape{kAbsentRank, 0, {}}}}),
            "Concat: input 1 is absent");
  EXPECT_EQ(inferError(0, {}), "Concat: expected 1..64 inputs, found 0");
  EXPECT_EQ(inferError(0, std::vector<TensorType>(65, a)),
            "Concat: expected 1..64 inputs, found 65");
}

TEST(RefConcat, InferRejectsAnOutputWithTooManyElements) {
  const TensorType half{DType::kUint8, Shape::of({std::int64_t{1} << 40})};
  EXPECT_EQ(inferError(0, {half, half}), "Concat: dimension 0 is 2199023255552");
}

}  // namespace
}  // namespace edgert::kernels
