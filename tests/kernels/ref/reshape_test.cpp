// Reference Reshape kernel: element order kept, any dtype, in place, overlapping buffers and
// infer errors, through the registry as the loader uses it.
#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

using Params = ReshapeParams;
constexpr OpCode kCode = OpCode::kReshape;

struct Buffer {
  TensorType type;
  std::vector<std::byte> bytes;
};

template <typename T>
Buffer tensor(DType dtype, const Shape& shape, const std::vector<T>& values) {
  Buffer b{TensorType{dtype, shape}, std::vector<std::byte>(values.size() * sizeof(T))};
  EXPECT_EQ(b.bytes.size(), b.type.bytes()) << "test data does not match its shape";
  if (!values.empty()) std::memcpy(b.bytes.data(), values.data(), b.bytes.size());
  return b;
}

template <typename T>
std::vector<T> valuesOf(const Buffer& b) {
  std::vector<T> v(b.bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), b.bytes.data(), b.bytes.size());
  return v;
}

template <typename T>
std::vector<T> iota(std::size_t n, T first) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(first + static_cast<T>(i));
  return v;
}

// "ok" (and the output type) or the error message of the op's infer function.
std::string inferError(const Params& p, const TensorType& x, TensorType* outType = nullptr) {
  const TensorType in[] = {x};
  TensorType out[1];
  const Result<void> r =
      findOp(kCode)->infer(&p, std::span<const TensorType>(in), std::span<TensorType>(out));
  if (!r) return r.error().message();
  if (outType) *outType = out[0];
  return "ok";
}

Buffer run(const Params& p, const Buffer& x) {
  TensorType outType;
  const std::string err = inferError(p, x.type, &outType);
  if (err != "ok") {
    ADD_FAILURE() << err;
    return {};
  }
  Buffer y{outType, std::vector<std::byte>(outType.bytes(), std::byte{0xEE})};
  const InTensor in[] = {{x.bytes.data(), x.type}};
  const OutTensor out[] = {{y.bytes.data(), outType}};
  findVariant(kCode, 0)->run(KernelArgs{&p, in, out, {}});
  return y;
}

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
  findVariant(kCode, 0)->run(KernelArgs{&p, x, y, {}});
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
  findVariant(kCode, 0)->run(KernelArgs{&p, x, y, {}});
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
