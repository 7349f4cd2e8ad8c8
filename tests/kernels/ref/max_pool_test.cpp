// MaxPool reference kernel: hand-computed cases (ceil mode, the last-window rule, dilation,
// padding), a grid of parameters against a brute-force formulation, and infer errors.
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

PoolParams pool2d(std::int32_t kH, std::int32_t kW, std::int32_t stride = 1) {
  PoolParams p;
  p.kernel[0] = kH;
  p.kernel[1] = kW;
  p.stride[0] = p.stride[1] = stride;
  return p;
}

PoolParams pool1d(std::int32_t k, std::int32_t stride = 1) {
  PoolParams p;
  p.spatialRank = 1;
  p.kernel[1] = k;
  p.stride[1] = stride;
  return p;
}

Tensor maxPool(const PoolParams& p, const Tensor& x) { return runOp(OpCode::kMaxPool, &p, {&x}); }

// The ONNX output-length formula evaluated in floating point, then the rule that the last
// window must start inside the input or the begin padding.
std::int64_t pooledLength(std::int64_t in, const PoolParams& p, int a) {
  const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
  const double v = static_cast<double>(in + p.padBegin[a] + p.padEnd[a] - extent) / p.stride[a] + 1;
  std::int64_t out = static_cast<std::int64_t>(p.ceilMode ? std::ceil(v) : std::floor(v));
  if (p.ceilMode && (out - 1) * p.stride[a] >= in + p.padBegin[a]) --out;
  return out;
}

// Brute force: every tap of every window, skipping the ones outside X.
std::vector<float> maxPoolNaive(const PoolParams& p, const Tensor& x, std::int64_t outH,
                                std::int64_t outW) {
  const bool oneD = p.spatialRank == 1;
  const std::int64_t planes = x.shape.dims[0] * x.shape.dims[1];
  const std::int64_t h = oneD ? 1 : x.shape.dims[2], w = x.shape.dims[oneD ? 2 : 3];
  std::vector<float> y;
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    for (std::int64_t oh = 0; oh < outH; ++oh) {
      for (std::int64_t ow = 0; ow < outW; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
          for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
            const std::int64_t ih = oh * p.stride[0] - p.padBegin[0] + i * p.dilation[0];
            const std::int64_t iw = ow * p.stride[1] - p.padBegin[1] + j * p.dilation[1];
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            best = std::max(best, x.data[static_cast<std::size_t>((plane * h + ih) * w + iw)]);
          }
        }
        y.push_back(best);
      }
    }
  }
  return y;
}

Tensor iota(std::initializer_list<std::int64_t> dims) {
  Tensor t = tensor(dims);
  for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i + 1);
  return t;
}

TEST(MaxPoolRef, HandComputed) {
  const Tensor y = maxPool(pool2d(2, 2, 2), iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {6, 8, 14, 16}, 0, 0);
}

TEST(MaxPoolRef, CeilModeAddsAPartialWindow) {
  PoolParams p = pool2d(3, 3, 2);
  EXPECT_EQ(maxPool(p, iota({1, 1, 4, 4})).shape, Shape::of({1, 1, 1, 1}));
  p.ceilMode = 1;
  const Tensor y = maxPool(p, iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {11, 12, 15, 16}, 0, 0);
}

TEST(MaxPoolRef, CeilModeDropsAWindowStartingInTheEndPadding) {
  // 2x2, kernel 1, stride 2: ceil((2 - 1) / 2) + 1 = 2, but window 1 would start at 2.
  PoolParams p = pool2d(1, 1, 2);
  p.ceilMode = 1;
  Tensor y = maxPool(p, iota({1, 1, 2, 2}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 1, 1}));
  expectClose(y.data, {1}, 0, 0);

  // 1-D, 5 long, kernel 2, stride 2, pads 1 + 1: ceil(5 / 2) + 1 = 4 windows by the formula;
  // the fourth would start at 5, in the end padding.
  PoolParams q = pool1d(2, 2);
  q.padBegin[1] = q.padEnd[1] = 1;
  q.ceilMode = 1;
  y = maxPool(q, iota({1, 1, 5}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 3}));
  expectClose(y.data, {1, 3, 5}, 0, 0);
}

TEST(MaxPoolRef, Dilation) {
  PoolParams p = pool2d(2, 2);
  p.dilation[0] = p.dilation[1] = 2;
  const Tensor y = maxPool(p, iota({1, 1, 4, 4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2, 2}));
  expectClose(y.data, {11, 12, 15, 16}, 0, 0);
}

TEST(MaxPoolRef, PaddingIsNeverTheMaximum) {
  PoolParams p = pool2d(2, 2);
  p.padBegin[0] = p.padBegin[1] = p.padEnd[0] = p.padEnd[1] = 1;
  const Tensor y = maxPool(p, tensor({1, 1, 2, 2}, {-1, -2, -3, -4}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 3, 3}));
  expectClose(y.data, {-1, -1, -2, -1, -1, -2, -3, -3, -4}, 0, 0);
}

TEST(MaxPoolRef, ParameterGridMatchesBruteForce) {
  std::mt19937 rng(1);
  int checked = 0;
  for (const std::int64_t h : {1, 2, 5}) {
    for (const std::int64_t w : {1, 3, 7}) {
      const Tensor x = randomTensor(Shape::of({2, 3, h, w}), rng);
      for (std::int32_t k = 1; k <= 3; ++k) {
        for (std::int32_t s = 1; s <= 3; ++s) {
          for (std::int32_t d = 1; d <= 2; ++d) {
            for (std::int32_t pb = 0; pb < 2; ++pb) {
              for (std::int32_t pe = 0; pe < 3; ++pe) {
                for (std::uint8_t ceil = 0; ceil < 2; ++ceil) {
                  PoolParams p = pool2d(k, k + 1, s);
                  p.stride[0] = s % 3 + 1;
                  p.dilation[1] = d;
                  p.padBegin[1] = pb;
                  p.padEnd[0] = std::min(pe, k - 1);
                  p.padEnd[1] = pe;
                  p.ceilMode = ceil;
                  const std::int64_t outH = pooledLength(h, p, 0);
                  const std::int64_t outW = pooledLength(w, p, 1);
                  auto type = inferOp(OpCode::kMaxPool, &p, {TensorType{DType::kFloat32, x.shape}});
                  const bool padsFit = pe < k * d + 1;  // below axis 1's window extent
                  if (!padsFit || outH < 1 || outW < 1) {
                    EXPECT_FALSE(type.ok()) << h << "x" << w << " k" << k << " s" << s;
                    continue;
                  }
                  ASSERT_TRUE(type.ok()) << type.error().message();
                  ASSERT_EQ(type->shape, Shape::of({2, 3, outH, outW}));
                  expectClose(maxPool(p, x).data, maxPoolNaive(p, x, outH, outW), 0, 0);
                  ++checked;
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(MaxPoolRef, Random1DMatchesBruteForce) {
  std::mt19937 rng(2);
  const Tensor x = randomTensor(Shape::of({3, 2, 23}), rng);
  PoolParams p = pool1d(4, 3);
  p.dilation[1] = 2;
  p.padBegin[1] = 5;
  p.padEnd[1] = 2;
  p.ceilMode = 1;
  const Tensor y = maxPool(p, x);
  ASSERT_EQ(y.shape, Shape::of({3, 2, pooledLength(23, p, 1)}));
  expectClose(y.data, maxPoolNaive(p, x, 1, y.shape.dims[2]), 0, 0);
}

TEST(MaxPoolRef, HugeWindowVisitsOnlyTheInput) {
  // A 2^30 window with 2^30 - 1 pads on a 3-long input: two windows, [-(2^30 - 1), 0] and
  // [1, 2^30], finished at once because the kernel never walks the padding.
  PoolParams p = pool1d(1 << 30, 1 << 30);
  p.padBegin[1] = p.padEnd[1] = (1 << 30) - 1;
  const Tensor y = maxPool(p, tensor({1, 1, 3}, {5, 7, 6}));
  EXPECT_EQ(y.shape, Shape::of({1, 1, 2}));
  expectClose(y.data, {5, 7}, 0, 0);
}

TEST(MaxPoolRef, InferErrors) {
  PoolParams p = pool2d(3, 3);
  p.padBegin[0] = 3;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: pads 3, 0 on spatial axis 0 must be in 0..2 (below the window extent 3)");
  p = pool2d(3, 3);
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 2})}),
            "MaxPool: window extent 3 does not fit padded input 2 on axis 3");
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 0, 4})}),
            "MaxPool: input is empty on axis 2");
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 4, 4})}),
            "MaxPool: X 1x4x4 must have rank 4 for a 2-D pool");
  p.ceilMode = 2;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: ceilMode is 2, expected 0 or 1");
  p = pool2d(3, 3);
  p.countIncludePad = 1;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: countIncludePad is 1, expected 0 (AveragePool only)");
  p = pool2d(3, 0);
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: kernel 0, stride 1, dilation 1 on spatial axis 1: each must be at least 1");
  p = pool2d(3, 3);
  p.spatialRank = -7;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: spatial rank -7 is not 1 or 2");
  p = pool1d(3);
  p.stride[0] = 2;
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4})}),
            "MaxPool: 1-D pool needs kernel[0] 1, stride[0] 1, dilation[0] 1, found 1, 2, 1");
  p = pool2d(3, 3);
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {TensorType{DType::kUint8, Shape::of({1, 1, 4, 4})}}),
            "MaxPool: input 0 is uint8, expected float32");
}

TEST(MaxPoolRef, AbsurdParametersFailWithoutOverflow) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  PoolParams p = pool2d(kMax, kMax, kMax);
  p.dilation[0] = p.dilation[1] = kMax;
  p.padBegin[0] = p.padEnd[0] = p.padBegin[1] = p.padEnd[1] = kMax;
  p.ceilMode = 1;
  // extent (2^31 - 2) * (2^31 - 1) + 1: pads are below it, the window does not fit.
  EXPECT_EQ(
      inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
      "MaxPool: window extent 4611686011984936963 does not fit padded input 4294967298 on axis 2");
  p.dilation[0] = p.dilation[1] = 1;
  p.padBegin[0] = p.padEnd[0] = p.padBegin[1] = p.padEnd[1] = kMax - 1;
  p.stride[0] = p.stride[1] = 1;
  // 2^31 - 1 windows per axis: 2^62 elements, rejected by the element limit.
  EXPECT_EQ(inferError(OpCode::kMaxPool, &p, {f32({1, 1, 4, 4})}),
            "MaxPool: shape 1x1x2147483650x2147483650 has more than 2^40 elements");
}

}  // namespace
}  // namespace edgert::kernels
