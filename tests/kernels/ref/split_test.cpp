// Split's reference kernel: the first op with several outputs. Uneven and empty parts along
// each axis, other element types, and infer errors.
#include "edgert/kernels/registry.hpp"

#include "ref_harness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace edgert::kernels {
namespace {

using namespace test;

SplitParams params(std::int32_t axis, std::vector<std::int64_t> sizes) {
  SplitParams p;
  p.axis = axis;
  p.count = static_cast<std::int32_t>(sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) p.sizes[i] = sizes[i];
  return p;
}

// Infers every output, runs the kernel and returns the outputs.
std::vector<Buffer> split(const SplitParams& p, const Buffer& x) {
  std::vector<TensorType> outTypes(static_cast<std::size_t>(p.count));
  const TensorType in[] = {x.type};
  const auto r = findOp(OpCode::kSplit)->infer(&p, std::span<const TensorType>(in, 1), outTypes);
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
  std::vector<Buffer> outs;
  std::vector<OutTensor> outTensors;
  for (const TensorType& t : outTypes) outs.push_back(Buffer{t, std::vector<std::byte>(t.bytes(), kUnwritten)});
  for (Buffer& b : outs) outTensors.push_back(OutTensor{b.bytes.data(), b.type});
  const InTensor ins[] = {InTensor{x.bytes.data(), x.type}};
  KernelArgs args{&p, ins, outTensors, {}};
  runWithoutAllocating(*findVariant(OpCode::kSplit, 0), args);
  return outs;
}

TEST(SplitRef, UnevenAndEmptyPartsAlongAnInnerAxis) {
  const Buffer x = floats(Shape::of({2, 5}), {0, 1, 2, 3, 4, 10, 11, 12, 13, 14});
  const auto y = split(params(1, {2, 0, 3}), x);
  ASSERT_EQ(y.size(), 3u);
  EXPECT_EQ(y[0].type.shape, Shape::of({2, 2}));
  EXPECT_EQ(valuesOf<float>(y[0]), (std::vector<float>{0, 1, 10, 11}));
  EXPECT_EQ(y[1].type.shape, Shape::of({2, 0}));
  EXPECT_EQ(valuesOf<float>(y[2]), (std::vector<float>{2, 3, 4, 12, 13, 14}));
}

TEST(SplitRef, OuterAxisAndIntegers) {
  const Buffer x = tensor<std::int64_t>(DType::kInt64, Shape::of({3, 2}), {1, 2, 3, 4, 5, 6});
  const auto y = split(params(0, {1, 2}), x);
  EXPECT_EQ(valuesOf<std::int64_t>(y[0]), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(valuesOf<std::int64_t>(y[1]), (std::vector<std::int64_t>{3, 4, 5, 6}));
}

TEST(SplitRef, InferErrors) {
  const TensorType x[] = {f32({2, 5})};
  const auto error = [&](const SplitParams& p, std::size_t outputs) {
    std::vector<TensorType> outs(outputs);
    const auto r = findOp(OpCode::kSplit)->infer(&p, std::span<const TensorType>(x, 1), outs);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(error(params(1, {2, 2}), 2), "Split: the sizes add up to 4, axis 1 of X 2x5 has 5");
  EXPECT_EQ(error(params(1, {2, 3}), 3), "Split: expected 2 outputs, found 3");
  EXPECT_EQ(error(params(2, {2, 3}), 2), "Split: axis 2 is outside 0..1 for X 2x5");
  EXPECT_EQ(error(params(1, {-1, 6}), 2), "Split: the sizes do not add up to axis 1 of X 2x5");
  SplitParams p = params(1, {5});
  p.sizes[7] = 1;
  EXPECT_EQ(error(p, 1), "Split: sizes beyond output 1 are not zero");
  p = params(1, {});
  EXPECT_EQ(error(p, 0), "Split: 0 outputs, expected 1..32");
}

}  // namespace
}  // namespace edgert::kernels
