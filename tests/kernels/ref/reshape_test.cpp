// Reference Reshape kernel: element order kept, any dtype, in place, overlapping buffers and
// infer errors, through the registry as the loader uses it.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

using Params = ReshapeParams;
constexpr OpCode kCode = OpCode::kReshape;

// "ok" (and the output type) or the error message of the op's infer function.
std::string inferError(const Params& p, const TensorType& x, TensorType* outType = nullptr) {
  return test::inferError(kCode, &p, {x}, outType);
}

Buffer run(const Params& p, const Buffer& x) { return runOp(kCode, &p, {&x}); }

Params to(const Shape& shape) {
  Params p;
  p.shape = shape;
  return p;
}

TEST(RefReshape, KeepsElementOrder) {
  const Buffer y = run(to(Shape::of({3, 2})),
                       tensor<float>(DType::kFloat32, Shape::of({2, 3}), {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(y.type, (TensorType{DType::kFloat32, Shape::of({3, 2})}));
  EXPECT_EQ(valuesOf<float>(y), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(RefReshape, AnyDType) {
  const std::vector<std::int64_t> v = iota<std::int64_t>(30, -15);
  const Buffer i64 = run(to(Shape::of({2, 3, 5})), tensor(DType::kInt64, Shape::of({30}), v));
  EXPECT_EQ(i64.type, (TensorType{DType::kInt64, Shape::of({2, 3, 5})}));
  EXPECT_EQ(valuesOf<std::int64_t>(i64), v);
  const Buffer b =
      run(to(Shape::of({3})), tensor<std::uint8_t>(DType::kBool, Shape::of({1, 3, 1}), {1, 0, 1}));
  EXPECT_EQ(b.type, (TensorType{DType::kBool, Shape::of({3})}));
  EXPECT_EQ(valuesOf<std::uint8_t>(b), (std::vector<std::uint8_t>{1, 0, 1}));
}

TEST(RefReshape, ScalarToOneByOneAndBack) {
  const Buffer one = run(to(Shape::of({1, 1, 1})), tensor<float>(DType::kFloat32, Shape{}, {4.5f}));
  EXPECT_EQ(one.type.shape, Shape::of({1, 1, 1}));
  const Buffer back = run(to(Shape{}), one);
  EXPECT_EQ(back.type.shape.rank, 0);
  EXPECT_EQ(valuesOf<float>(back), (std::vector<float>{4.5f}));
}

TEST(RefReshape, EmptyTensor) {
  const Buffer y =
      run(to(Shape::of({3, 0})), tensor<float>(DType::kFloat32, Shape::of({0, 7}), {}));
  EXPECT_EQ(y.type.shape, Shape::of({3, 0}));
  EXPECT_TRUE(y.bytes.empty());
}

TEST(RefReshape, InPlaceLeavesTheDataAlone) {
  std::vector<std::int32_t> data = iota<std::int32_t>(7, 1);
  const TensorType in{DType::kInt32, Shape::of({7})};
  const TensorType outType{DType::kInt32, Shape::of({7, 1})};
  const Params p = to(outType.shape);
  const InTensor x[] = {{reinterpret_cast<const std::byte*>(data.data()), in}};
  const OutTensor y[] = {{reinterpret_cast<std::byte*>(data.data()), outType}};
  runReference(kCode, &p, x, y[0]);
  EXPECT_EQ(data, iota<std::int32_t>(7, 1));
}

TEST(RefReshape, OverlappingBuffersAreMovedCorrectly) {
  // Output starts one element after the input inside one buffer: a forward byte copy
  // would smear the first element; memmove does not.
  std::vector<std::int32_t> buffer = {1, 2, 3, 4, 5, 0};
  const TensorType in{DType::kInt32, Shape::of({5})};
  const TensorType outType{DType::kInt32, Shape::of({5, 1})};
  const Params p = to(outType.shape);
  const InTensor x[] = {{reinterpret_cast<const std::byte*>(buffer.data()), in}};
  const OutTensor y[] = {{reinterpret_cast<std::byte*>(buffer.data() + 1), outType}};
  runReference(kCode, &p, x, y[0]);
  EXPECT_EQ(buffer, (std::vector<std::int32_t>{1, 1, 2, 3, 4, 5}));
}

TEST(RefReshape, UnusedParamDimsDoNotLeakIntoTheOutput) {
  Params p = to(Shape::of({2, 2}));
  p.shape.dims[5] = 77;
  TensorType out;
  ASSERT_EQ(inferError(p, {DType::kFloat32, Shape::of({4})}, &out), "ok");
  EXPECT_EQ(out.shape.dims[5], 0);
  EXPECT_EQ(out, (TensorType{DType::kFloat32, Shape::of({2, 2})}));
}

TEST(RefReshape, InferErrors) {
  const TensorType x{DType::kFloat32, Shape::of({3, 4})};
  EXPECT_EQ(inferError(to(Shape::of({2, 5})), x),
            "Reshape: output shape 2x5 has 10 elements, input shape 3x4 has 12");
  EXPECT_EQ(inferError(to(Shape::of({3, -1})), x), "Reshape: dimension 1 is -1");
  Params rank9;
  rank9.shape.rank = 9;
  EXPECT_EQ(inferError(rank9, x), "Reshape: rank 9 outside 0..8");
  Params negativeRank;
  negativeRank.shape.rank = -1;
  EXPECT_EQ(inferError(negativeRank, x), "Reshape: rank -1 outside 0..8");
  const std::int64_t big = std::int64_t{1} << 21;
  EXPECT_EQ(inferError(to(Shape::of({big, big, big})), x),
            "Reshape: shape 2097152x2097152x2097152 has more than 2^40 elements");
  EXPECT_EQ(inferError(to(Shape::of({12})), {static_cast<DType>(4), Shape::of({12})}),
            "Reshape: invalid element type 4");
}

}  // namespace
}  // namespace edgert::kernels
