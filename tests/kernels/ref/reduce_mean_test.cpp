// ReduceMean reference kernel: hand-computed cases, every axes mask of a 4-D tensor with and
// without keepDims against a naive formulation, edge cases, and infer errors.
#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels {
namespace {

// Test harness: float tensors owned by the test, run through the registry (the op's infer
// and its reference variant 0) exactly as the runtime would.
struct Tensor {
  Shape shape;
  std::vector<float> data;
};

Tensor tensor(std::initializer_list<std::int64_t> dims, std::vector<float> data = {}) {
  Tensor t{Shape::of(dims), std::move(data)};
  if (t.data.empty()) t.data.resize(static_cast<std::size_t>(t.shape.numel()));
  EXPECT_EQ(t.data.size(), static_cast<std::size_t>(t.shape.numel()));
  return t;
}

Tensor randomTensor(const Shape& shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape.numel()))};
  for (float& v : t.data) v = dist(rng);
  return t;
}

TensorType f32(std::initializer_list<std::int64_t> dims) {
  return TensorType{DType::kFloat32, Shape::of(dims)};
}

TensorType absentType() {
  TensorType t;
  t.shape.rank = kAbsentRank;
  return t;
}

// Y's type, or the infer error.
Result<TensorType> inferOp(OpCode code, const void* params, std::vector<TensorType> inputs) {
  const OpInfo* op = findOp(code);
  if (op == nullptr)
    return makeError(Errc::kInternal, "op {} not registered", static_cast<int>(code));
  TensorType out[1];
  EDGERT_TRY(op->infer(params, inputs, std::span<TensorType>(out)));
  return out[0];
}

// The infer error message ("" when infer succeeds).
std::string inferError(OpCode code, const void* params, std::vector<TensorType> inputs) {
  auto r = inferOp(code, params, std::move(inputs));
  return r.ok() ? std::string() : r.error().message();
}

// Infers Y, runs the reference kernel. nullptr inputs are absent optional inputs. Y starts
// filled with NaN so an element the kernel forgets to write shows. `alias`: Y is computed in
// place in a copy of input 0 (only for ops whose OpInfo allows it).
Tensor runOp(OpCode code, const void* params, std::vector<const Tensor*> inputs,
             bool alias = false) {
  std::vector<TensorType> types;
  std::vector<InTensor> ins;
  for (const Tensor* t : inputs) {
    TensorType type = t ? TensorType{DType::kFloat32, t->shape} : absentType();
    types.push_back(type);
    ins.push_back(InTensor{t ? reinterpret_cast<const std::byte*>(t->data.data()) : nullptr, type});
  }
  auto yType = inferOp(code, params, types);
  if (!yType.ok()) {
    ADD_FAILURE() << yType.error().message();
    return {};
  }
  Tensor y{yType->shape, std::vector<float>(static_cast<std::size_t>(yType->shape.numel()),
                                            std::numeric_limits<float>::quiet_NaN())};
  if (alias) {
    EXPECT_TRUE(findOp(code)->aliasInputs & 1u);
    y.data = inputs[0]->data;
    ins[0].data = reinterpret_cast<const std::byte*>(y.data.data());
  }
  const OutTensor out{reinterpret_cast<std::byte*>(y.data.data()), *yType};
  const KernelArgs args{params, ins, std::span<const OutTensor>(&out, 1), {}};
  const KernelVariant* ref = findVariant(code, 0);
  EXPECT_NE(ref, nullptr);
  if (ref) ref->run(args);
  return y;
}

// |got - want| <= abs + rel * |want| element by element, NaN only where NaN is expected.
void expectClose(const std::vector<float>& got, const std::vector<float>& want, double rel = 1e-5,
                 double abs = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": got " << got[i] << ", want NaN";
      continue;
    }
    if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
      continue;
    }
    const double tolerance = abs + rel * std::fabs(double{want[i]});
    EXPECT_LE(std::fabs(double{got[i]} - double{want[i]}), tolerance)
        << "at " << i << ": got " << got[i] << ", want " << want[i];
  }
}

Tensor reduceMean(std::uint32_t mask, bool keepDims, const Tensor& x) {
  ReduceParams p;
  p.axesMask = mask;
  p.keepDims = keepDims;
  return runOp(OpCode::kReduceMean, &p, {&x});
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
  EXPECT_EQ(inferError(OpCode::kReduceMean, &p, {f32({2, 3, 4})}),
            "ReduceMean: axes mask 0x8 names axes beyond X 2x3x4 (rank 3)");
  p.axesMask = 0x80000000u;
  EXPECT_EQ(inferError(OpCode::kReduceMean, &p, {f32({1, 1, 1, 1, 1, 1, 1, 1})}),
            "ReduceMean: axes mask 0x80000000 names axes beyond X 1x1x1x1x1x1x1x1 (rank 8)");
  p.axesMask = 1;
  p.keepDims = 3;
  EXPECT_EQ(inferError(OpCode::kReduceMean, &p, {f32({2, 3, 4})}),
            "ReduceMean: keepDims is 3, expected 0 or 1");
  p.keepDims = 0;
  EXPECT_EQ(inferError(OpCode::kReduceMean, &p, {TensorType{DType::kInt64, Shape::of({2})}}),
            "ReduceMean: input 0 is int64, expected float32");
  EXPECT_EQ(inferError(OpCode::kReduceMean, &p, {f32({})}),
            "ReduceMean: axes mask 0x1 names axes beyond X scalar (rank 0)");
}

}  // namespace
}  // namespace edgert::kernels
