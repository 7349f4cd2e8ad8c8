// Checks a fast Conv variant against the reference kernel on random data: the shared part
// of tests/kernels/x86/conv_avx2_test.cpp and tests/kernels/neon/conv_neon_test.cpp.
//
// Tolerance. The reference sums in double and rounds once; a variant sums the same terms
// in float32 in another order. For k terms the float sum is off by at most about
// k * 2^-24 * S, where S = |bias| + sum |x * w| + |residual| is the sum of the magnitudes
// of the terms (cancellation makes any bound relative to |y| alone meaningless). The
// activations then scale an error by at most 1.5 (HardSwish's steepest slope). An output
// passes when |y - ref| <= 1e-5 + 1e-4 * S, far below any real indexing or epilogue
// mistake, which shifts outputs by whole terms. The largest k of the pointwise and
// depthwise cases is 97 (a pointwise conv over 97 channels): a 10x margin over the bound.
// The general cases go up to k = 866 (a 3x3 conv over 96 channels, bias and residual,
// PP-OCR's size; kMaxGeneralDepth): 1.5 * 866 * 2^-24 < 7.8e-5 is still inside the
// tolerance, and that bound needs every rounding error at its largest with the same sign;
// on random data they cancel, and the error grows like sqrt(k). S comes from the
// reference kernel itself, run on |x|, |w|, |bias|, |residual| with no activation.
#pragma once

#include "ref/ref_harness.hpp"

#include "edgert/kernels/parallel.hpp"
#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <span>
#include <vector>

namespace edgert::kernels::test {

struct ConvCase {
  std::int64_t batch = 1, channels = 1, outChannels = 1, height = 1, width = 1;
  ConvParams params;
};

inline std::string describeCase(const ConvCase& c) {
  const ConvParams& p = c.params;
  return "X " + std::to_string(c.batch) + "x" + std::to_string(c.channels) + "x" +
         std::to_string(c.height) + "x" + std::to_string(c.width) + " OC " +
         std::to_string(c.outChannels) + " k " + std::to_string(p.kernel[0]) + "x" +
         std::to_string(p.kernel[1]) + " s " + std::to_string(p.stride[0]) + "," +
         std::to_string(p.stride[1]) + " pads " + std::to_string(p.padBegin[0]) + "," +
         std::to_string(p.padBegin[1]) + "," + std::to_string(p.padEnd[0]) + "," +
         std::to_string(p.padEnd[1]) + " group " + std::to_string(p.group) + " bias " +
         std::to_string(p.hasBias) + " residual " + std::to_string(p.hasResidual) + " act " +
         std::to_string(static_cast<int>(p.activation.kind));
}

// The nine activations with parameters that exercise both sides of each function.
inline ActivationParams activationNumber(int i) {
  ActivationParams a;
  a.kind = static_cast<Activation>(i % 9);
  if (a.kind == Activation::kLeakyRelu) a.alpha = 0.1f;
  if (a.kind == Activation::kClip) {
    a.alpha = -0.5f;
    a.beta = 0.7f;
  }
  if (a.kind == Activation::kHardSigmoid) {
    a.alpha = 0.2f;
    a.beta = 0.5f;
  }
  if (a.kind == Activation::kHardSwishAffine) {
    a.alpha = -1.5f;
    a.beta = 0.25f;
  }
  return a;
}

// Types of X, W, [B], [residual] (absent slots have rank -1) and of Y; false if infer
// rejects the case.
inline bool convTypes(const ConvCase& c, std::vector<TensorType>& ins, TensorType& y) {
  const ConvParams& p = c.params;
  ins.clear();
  if (p.spatialRank == 1) {
    ins.push_back(f32({c.batch, c.channels, c.width}));
    ins.push_back(f32({c.outChannels, c.channels / p.group, p.kernel[1]}));
  } else {
    ins.push_back(f32({c.batch, c.channels, c.height, c.width}));
    ins.push_back(f32({c.outChannels, c.channels / p.group, p.kernel[0], p.kernel[1]}));
  }
  ins.push_back(p.hasBias ? f32({c.outChannels}) : absentType());
  ins.push_back(absentType());
  TensorType out;
  ConvParams noResidual = p;
  noResidual.hasResidual = 0;
  if (inferError(OpCode::kConv, &noResidual, {ins[0], ins[1], ins[2]}, &out) != "ok") return false;
  if (p.hasResidual) {
    ins[3] = out;
    if (inferError(OpCode::kConv, &p, ins, &out) != "ok") return false;
  }
  y = out;
  return true;
}

inline bool variantApplies(const KernelVariant& v, const ConvCase& c) {
  std::vector<TensorType> ins;
  TensorType y;
  if (!convTypes(c, ins, y)) return false;
  return v.applies == nullptr || v.applies(&c.params, ins, std::span<const TensorType>(&y, 1));
}

// The core of the checks below, for Conv and ConvTranspose: runs `variant` and the
// reference kernel of `op` on random data for inputs of `types` (absent ones rank -1) and
// an output of yType, once into a buffer of its own and, when aliasSlot >= 0, once with Y
// placed on that input. `plain` is `params` with no activation, for the magnitudes S.
// threads > 0: the variant runs on a worker pool of that many threads, split as finely as
// it allows (minTaskWork 1), every worker's scratch full of garbage; its output must then
// also equal the single-threaded run's bit for bit.
inline void checkOpAgainstReference(const KernelVariant& variant, OpCode op, const void* params,
                                    const void* plain, const std::vector<TensorType>& types,
                                    const TensorType& yType, int aliasSlot, unsigned seed,
                                    int threads = 0) {
  ASSERT_TRUE(variant.applies == nullptr ||
              variant.applies(params, types, std::span<const TensorType>(&yType, 1)))
      << variant.name << " does not apply";

  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const std::size_t slots = types.size();
  // Exact-size heap vectors: AddressSanitizer reports any read past an input's end.
  std::vector<std::vector<float>> data(slots);
  for (std::size_t i = 0; i < slots; ++i) {
    if (types[i].shape.rank == kAbsentRank) continue;
    data[i].resize(static_cast<std::size_t>(types[i].shape.numel()));
    for (float& v : data[i]) v = dist(rng) * (i == 0 ? 3.0f : 1.0f);
  }
  auto inputsOf = [&](std::vector<std::vector<float>>& d) {
    std::vector<InTensor> ins(slots);
    for (std::size_t i = 0; i < slots; ++i) {
      ins[i].type = types[i];
      if (types[i].shape.rank != kAbsentRank) ins[i].data = reinterpret_cast<const std::byte*>(d[i].data());
    }
    return ins;
  };
  const std::size_t n = static_cast<std::size_t>(yType.shape.numel());

  // The reference, and the magnitude S of each output's terms.
  std::vector<float> expected(n);
  {
    std::vector<InTensor> ins = inputsOf(data);
    runReference(op, params, ins, OutTensor{reinterpret_cast<std::byte*>(expected.data()), yType});
  }
  std::vector<float> magnitude(n);
  {
    std::vector<std::vector<float>> absData = data;
    for (auto& d : absData) {
      for (float& v : d) v = std::fabs(v);
    }
    std::vector<InTensor> ins = inputsOf(absData);
    runReference(op, plain, ins, OutTensor{reinterpret_cast<std::byte*>(magnitude.data()), yType});
  }

  // Scratch as the planner gives it: 64-byte aligned, and full of garbage.
  const std::uint64_t scratchBytes =
      variant.scratch ? variant.scratch(params, types, std::span<const TensorType>(&yType, 1)) : 0;
  // Exactly the bytes asked for, so that AddressSanitizer reports a kernel reaching past them.
  struct AlignedFree {
    void operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{64}); }
  };
  const auto fillWithNan = [](std::span<std::byte> bytes) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t i = 0; i + sizeof(float) <= bytes.size(); i += sizeof(float)) {
      std::memcpy(bytes.data() + i, &nan, sizeof nan);
    }
  };
  const std::unique_ptr<std::byte, AlignedFree> scratchStore(static_cast<std::byte*>(
      ::operator new(static_cast<std::size_t>(std::max<std::uint64_t>(scratchBytes, 1)), std::align_val_t{64})));
  const std::span<std::byte> scratch(scratchStore.get(), static_cast<std::size_t>(scratchBytes));
  fillWithNan(scratch);
  std::unique_ptr<WorkerPool> pool;
  if (threads > 0) {
    auto created = WorkerPool::create(threads, static_cast<std::size_t>(scratchBytes));
    ASSERT_TRUE(created.ok()) << created.error().message();
    pool = std::move(*created);
    pool->setMinTaskWork(1);
    for (int w = 1; w < threads; ++w) {
      fillWithNan(pool->scratch(w, scratch));
    }
  }
  SCOPED_TRACE(threads > 0 ? std::to_string(threads) + " threads" : std::string("no pool"));

  auto compare = [&](const std::vector<float>& got, const char* where) {
    int reported = 0;
    for (std::size_t i = 0; i < n && reported < 5; ++i) {
      const double tolerance = 1e-5 + 1e-4 * magnitude[i];
      if (!(std::fabs(static_cast<double>(got[i]) - expected[i]) <= tolerance)) {
        ADD_FAILURE() << where << ": Y[" << i << "] = " << got[i] << ", reference " << expected[i]
                      << ", tolerance " << tolerance;
        ++reported;
      }
    }
  };

  // Y in its own buffer, followed by guard values the kernel must not touch.
  constexpr float kGuard = -12345.0f;
  {
    std::vector<float> got(n + 16, kGuard);
    std::vector<InTensor> ins = inputsOf(data);
    const OutTensor out{reinterpret_cast<std::byte*>(got.data()), yType};
    runWithoutAllocating(variant, KernelArgs{params, ins, std::span<const OutTensor>(&out, 1), scratch, pool.get()});
    for (std::size_t i = n; i < n + 16; ++i) ASSERT_EQ(got[i], kGuard) << "written past Y's end";
    got.resize(n);
    compare(got, "own buffer");
    if (pool) {
      // The split must not change a single bit.
      std::vector<float> serial(n + 16, kGuard);
      const OutTensor serialOut{reinterpret_cast<std::byte*>(serial.data()), yType};
      runWithoutAllocating(variant, KernelArgs{params, ins, std::span<const OutTensor>(&serialOut, 1), scratch});
      EXPECT_EQ(std::memcmp(got.data(), serial.data(), n * sizeof(float)), 0)
          << "the output on " << threads << " threads differs from the single-threaded one";
    }
  }
  // The life cycle (registry.hpp): prepared once from the constant inputs (every input but
  // X and the residual), the run must give the very bits of the unprepared one, on a pool
  // too. The state is exactly the bytes asked for, so that ASan sees a read past it.
  if (variant.state != nullptr && variant.prepare != nullptr) {
    std::uint32_t constants = 0;
    for (std::size_t i = 1; i < types.size(); ++i) {
      if (static_cast<int>(i) != aliasSlot) constants |= 1u << i;
    }
    const std::span<const TensorType> yTypes(&yType, 1);
    const std::uint64_t stateBytes = variant.state(params, types, yTypes, constants);
    EXPECT_EQ(variant.state(params, types, yTypes, constants & ~2u), 0u)
        << "a state asked for although the weights are not a constant";
    if (stateBytes > 0) {
      const std::unique_ptr<std::byte, AlignedFree> stateStore(static_cast<std::byte*>(
          ::operator new(static_cast<std::size_t>(stateBytes), std::align_val_t{64})));
      const std::span<std::byte> state(stateStore.get(), static_cast<std::size_t>(stateBytes));
      fillWithNan(state);
      std::vector<InTensor> ins = inputsOf(data);
      std::vector<InTensor> constantsOnly = ins;
      for (std::size_t i = 0; i < constantsOnly.size(); ++i) {
        if ((constants & (1u << i)) == 0) constantsOnly[i].data = nullptr;
      }
      variant.prepare(PrepareArgs{params, constantsOnly, yTypes, state});
      std::vector<float> unprepared(n), prepared(n + 16, kGuard);
      const OutTensor plainOut{reinterpret_cast<std::byte*>(unprepared.data()), yType};
      runWithoutAllocating(variant, KernelArgs{params, ins, std::span<const OutTensor>(&plainOut, 1), scratch});
      const OutTensor preparedOut{reinterpret_cast<std::byte*>(prepared.data()), yType};
      runWithoutAllocating(variant, KernelArgs{params, ins, std::span<const OutTensor>(&preparedOut, 1), scratch,
                                               pool.get(), state});
      for (std::size_t i = n; i < n + 16; ++i) ASSERT_EQ(prepared[i], kGuard) << "written past Y's end";
      EXPECT_EQ(std::memcmp(unprepared.data(), prepared.data(), n * sizeof(float)), 0)
          << "prepared, the output differs from the unprepared one";
    }
  }
  if (aliasSlot >= 0) {
    std::vector<std::vector<float>> aliased = data;
    std::vector<InTensor> ins = inputsOf(aliased);
    auto& on = aliased[static_cast<std::size_t>(aliasSlot)];
    const OutTensor out{reinterpret_cast<std::byte*>(on.data()), yType};
    runWithoutAllocating(variant, KernelArgs{params, ins, std::span<const OutTensor>(&out, 1), scratch, pool.get()});
    compare(on, "Y on the residual");
  }
}

// Runs `variant` (and the reference) on random data for case `c`: once into a buffer of its
// own and once with Y placed on the residual (OpInfo::aliasInputs bit 3). Failures name
// the case.
inline void checkAgainstReference(const KernelVariant& variant, const ConvCase& c, unsigned seed,
                                  int threads = 0) {
  SCOPED_TRACE(describeCase(c));
  const ConvParams& p = c.params;
  std::vector<TensorType> types;
  TensorType yType;
  ASSERT_TRUE(convTypes(c, types, yType)) << "infer rejects the case";
  types.resize(p.hasResidual ? 4 : (p.hasBias ? 3 : 2));
  ConvParams plain = p;
  plain.activation = ActivationParams{};
  checkOpAgainstReference(variant, OpCode::kConv, &p, &plain, types, yType, p.hasResidual ? 3 : -1, seed,
                          threads);
}

// --- ConvTranspose ---------------------------------------------------------------------------

struct ConvTransposeCase {
  std::int64_t batch = 1, channels = 1, outChannels = 1, height = 1, width = 1;
  ConvTransposeParams params;
};

inline std::string describeCase(const ConvTransposeCase& c) {
  const ConvTransposeParams& p = c.params;
  return "X " + std::to_string(c.batch) + "x" + std::to_string(c.channels) + "x" +
         std::to_string(c.height) + "x" + std::to_string(c.width) + " OC " +
         std::to_string(c.outChannels) + " k " + std::to_string(p.kernel[0]) + "x" +
         std::to_string(p.kernel[1]) + " s " + std::to_string(p.stride[0]) + "," +
         std::to_string(p.stride[1]) + " pads " + std::to_string(p.padBegin[0]) + "," +
         std::to_string(p.padBegin[1]) + "," + std::to_string(p.padEnd[0]) + "," +
         std::to_string(p.padEnd[1]) + " output padding " + std::to_string(p.outputPadding[0]) + "," +
         std::to_string(p.outputPadding[1]) + " group " + std::to_string(p.group) + " bias " +
         std::to_string(p.hasBias) + " activation " + std::to_string(static_cast<int>(p.activation.kind));
}

// Types of X, W, [B] and of Y; false if infer rejects the case.
inline bool convTransposeTypes(const ConvTransposeCase& c, std::vector<TensorType>& ins, TensorType& y) {
  const ConvTransposeParams& p = c.params;
  ins.clear();
  const std::int64_t outPerGroup = c.outChannels / p.group;
  if (p.spatialRank == 1) {
    ins.push_back(f32({c.batch, c.channels, c.width}));
    ins.push_back(f32({c.channels, outPerGroup, p.kernel[1]}));
  } else {
    ins.push_back(f32({c.batch, c.channels, c.height, c.width}));
    ins.push_back(f32({c.channels, outPerGroup, p.kernel[0], p.kernel[1]}));
  }
  if (p.hasBias) ins.push_back(f32({c.outChannels}));
  return inferError(OpCode::kConvTranspose, &p, ins, &y) == "ok";
}

inline bool variantApplies(const KernelVariant& v, const ConvTransposeCase& c) {
  std::vector<TensorType> ins;
  TensorType y;
  if (!convTransposeTypes(c, ins, y)) return false;
  return v.applies == nullptr || v.applies(&c.params, ins, std::span<const TensorType>(&y, 1));
}

inline void checkAgainstReference(const KernelVariant& variant, const ConvTransposeCase& c, unsigned seed,
                                  int threads = 0) {
  SCOPED_TRACE(describeCase(c));
  std::vector<TensorType> types;
  TensorType yType;
  ASSERT_TRUE(convTransposeTypes(c, types, yType)) << "infer rejects the case";
  ConvTransposeParams plain = c.params;
  plain.activation = {};
  checkOpAgainstReference(variant, OpCode::kConvTranspose, &c.params, &plain, types, yType, -1, seed,
                          threads);
}

// --- The cases -------------------------------------------------------------------------------

inline ConvParams pointwiseParams() {
  ConvParams p;
  p.kernel[0] = p.kernel[1] = 1;
  return p;
}

inline ConvParams depthwiseParams(int k, int strideH, int strideW, int top, int left, int bottom,
                                  int right, std::int32_t channels) {
  ConvParams p;
  p.kernel[0] = p.kernel[1] = k;
  p.stride[0] = strideH;
  p.stride[1] = strideW;
  p.padBegin[0] = top;
  p.padBegin[1] = left;
  p.padEnd[0] = bottom;
  p.padEnd[1] = right;
  p.group = channels;
  return p;
}

// Bias, residual and activation from a counter, so a sweep over shapes also sweeps the
// epilogue (every combination of the three within 36 consecutive cases).
inline void setEpilogue(ConvParams& p, int i) {
  p.activation = activationNumber(i);
  p.hasBias = static_cast<std::uint8_t>((i / 9) % 2);
  p.hasResidual = static_cast<std::uint8_t>((i / 18) % 2);
}

// Pointwise: C and OC of 1, primes and BlazeFace's sizes; pixel counts of 1, primes and
// tails that are not a multiple of 4, 8, 12 or 16; batch 2 and 0; C = 0; a 1-D case.
inline std::vector<ConvCase> pointwiseCases() {
  struct Dims {
    std::int64_t batch, channels, outChannels, height, width;
  };
  const Dims dims[] = {{1, 1, 1, 1, 1},   {1, 1, 7, 3, 5},    {2, 3, 5, 1, 17},
                       {1, 13, 11, 7, 7}, {1, 24, 28, 8, 9},  {1, 17, 19, 1, 33},
                       {1, 2, 1, 5, 3},   {1, 97, 13, 4, 11}, {1, 24, 24, 16, 16},
                       {1, 7, 6, 2, 2},   {2, 5, 12, 3, 7},   {1, 31, 29, 23, 3},
                       {1, 0, 3, 2, 5},   {0, 4, 3, 2, 2}};  // no input channel; no image
  std::vector<ConvCase> cases;
  int i = 0;
  for (const Dims& d : dims) {
    for (int e = 0; e < 4; ++e, ++i) {
      ConvCase c{d.batch, d.channels, d.outChannels, d.height, d.width, pointwiseParams()};
      setEpilogue(c.params, i * 3 + e * 9);
      cases.push_back(c);
    }
  }
  ConvCase oneD{1, 5, 7, 1, 13, pointwiseParams()};
  oneD.params.spatialRank = 1;
  oneD.params.hasBias = 1;
  oneD.params.hasResidual = 1;
  oneD.params.activation = activationNumber(6);
  cases.push_back(oneD);
  // Every epilogue combination on one shape.
  for (int e = 0; e < 32; ++e) {
    ConvCase c{1, 11, 9, 5, 5, pointwiseParams()};
    setEpilogue(c.params, e);
    cases.push_back(c);
  }
  return cases;
}

// Depthwise: 3x3 and 5x5, strides (1,1), (2,2), (1,2), (2,1), symmetric, asymmetric, zero
// and oversized pads, planes of 1x1 up to 19x37 (row tails of every length mod 8 and 16),
// 1 to 7 channels, batch 2. Cases infer rejects (kernel larger than the padded input) are
// left out.
inline std::vector<ConvCase> depthwiseCases() {
  struct Pads {
    int top, left, bottom, right;
  };
  const Pads pads[] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}, {0, 1, 1, 2}, {2, 1, 0, 3}, {3, 4, 3, 4}};
  struct Plane {
    std::int64_t h, w;
  };
  const Plane planes[] = {{1, 1}, {5, 7}, {8, 16}, {13, 17}, {3, 31}, {19, 37}, {16, 16}};
  const int strides[][2] = {{1, 1}, {2, 2}, {1, 2}, {2, 1}};
  const std::int64_t channels[] = {1, 3, 7};
  std::vector<ConvCase> cases;
  int i = 0;
  for (int k : {3, 5}) {
    for (const auto& s : strides) {
      for (const Pads& pd : pads) {
        for (const Plane& pl : planes) {
          const std::int64_t ch = channels[i % 3];
          ConvCase c{i % 5 == 0 ? 2 : 1, ch, ch, pl.h, pl.w,
                     depthwiseParams(k, s[0], s[1], pd.top, pd.left, pd.bottom, pd.right,
                                     static_cast<std::int32_t>(ch))};
          setEpilogue(c.params, i * 5);
          std::vector<TensorType> ins;
          TensorType y;
          if (!convTypes(c, ins, y)) continue;
          cases.push_back(c);
          ++i;
        }
      }
    }
  }
  cases.push_back(ConvCase{0, 3, 3, 5, 5, depthwiseParams(3, 1, 1, 1, 1, 1, 1, 3)});  // no image
  for (int e = 0; e < 32; ++e) {
    ConvCase c{1, 3, 3, 9, 11, depthwiseParams(e % 2 ? 5 : 3, 1 + e % 3 / 2, 1 + e % 2, 2, 1, 2, 2, 3)};
    setEpilogue(c.params, e);
    cases.push_back(c);
  }
  return cases;
}

inline ConvParams generalParams(int kH, int kW, int strideH, int strideW, int dilationH, int dilationW,
                                int top, int left, int bottom, int right, std::int32_t group = 1) {
  ConvParams p;
  p.kernel[0] = kH;
  p.kernel[1] = kW;
  p.stride[0] = strideH;
  p.stride[1] = strideW;
  p.dilation[0] = dilationH;
  p.dilation[1] = dilationW;
  p.padBegin[0] = top;
  p.padBegin[1] = left;
  p.padEnd[0] = bottom;
  p.padEnd[1] = right;
  p.group = group;
  return p;
}

// The most terms per output the general cases sum (see the tolerance above).
inline constexpr std::int64_t kMaxGeneralDepth = 96 * 3 * 3;

// The batch, channels, output channels and plane of a case, to cross with geometries.
struct ConvDims {
  std::int64_t batch, channels, outChannels, height, width;
};

// Every geometry on every dims that infer accepts and whose depth (C x kH x kW) is at most
// kMaxGeneralDepth, each with the epilogue setEpilogue(params, i * step) for the i-th case
// kept.
inline std::vector<ConvCase> crossCases(std::span<const ConvParams> geometries, std::span<const ConvDims> dims,
                                        int step) {
  std::vector<ConvCase> cases;
  int i = 0;
  for (const ConvParams& geometry : geometries) {
    for (const ConvDims& d : dims) {
      ConvCase c{d.batch, d.channels, d.outChannels, d.height, d.width, geometry};
      setEpilogue(c.params, i * step);
      std::vector<TensorType> ins;
      TensorType y;
      if (c.channels * geometry.kernel[0] * geometry.kernel[1] > kMaxGeneralDepth || !convTypes(c, ins, y)) continue;
      cases.push_back(c);
      ++i;
    }
  }
  return cases;
}

// General: kernels 1x1 to 7x7, square and not (1x3, 3x1, 5x3, 2x2); strides 1, 2, 3 and
// mixed; dilations 2 and 3; symmetric, asymmetric, zero and oversized pads; on C and OC
// of 1, primes and sizes that are not a multiple of the register tiles' rows (6, 8), planes
// of 1 pixel up to several strips (96 pixels), output rows that are not a multiple of the
// tiles' pixels (12, 16), K from 1 to 864 (one block up to four), more output channels
// than one block (96), batch 2; grouped convs (2 and 3 groups, 4 outputs per
// single-channel group, 2 groups of 100); a 1-D conv; no input channel; no image; no
// output channel. Cases infer rejects or that exceed kMaxGeneralDepth are left out.
inline std::vector<ConvCase> generalCases() {
  const ConvParams geometries[] = {
      generalParams(1, 1, 1, 1, 1, 1, 0, 0, 0, 0), generalParams(1, 1, 2, 2, 1, 1, 0, 0, 0, 0),
      generalParams(1, 3, 1, 1, 1, 1, 0, 1, 0, 1), generalParams(3, 1, 1, 1, 1, 1, 1, 0, 1, 0),
      generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1), generalParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1),
      generalParams(3, 3, 2, 2, 1, 1, 0, 0, 1, 1), generalParams(3, 3, 3, 3, 1, 1, 0, 2, 1, 0),
      generalParams(3, 3, 1, 2, 2, 2, 2, 1, 2, 3), generalParams(3, 3, 2, 1, 3, 1, 3, 0, 0, 3),
      generalParams(5, 5, 1, 1, 1, 1, 2, 2, 2, 2), generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2),
      generalParams(7, 7, 2, 2, 1, 1, 3, 3, 3, 3), generalParams(7, 7, 1, 1, 1, 1, 0, 0, 0, 0),
      generalParams(2, 2, 2, 2, 1, 1, 0, 0, 0, 0), generalParams(5, 3, 3, 2, 1, 2, 6, 0, 0, 5),
  };
  const ConvDims dims[] = {{1, 1, 1, 1, 1},    {1, 3, 24, 11, 13}, {1, 1, 7, 9, 9},
                           {2, 5, 13, 8, 17},  {1, 13, 6, 13, 17}, {1, 8, 9, 1, 23},
                           {1, 2, 1, 23, 3},   {1, 40, 8, 7, 9},   {1, 96, 5, 5, 6}};
  std::vector<ConvCase> cases = crossCases(geometries, dims, 7);
  int i = static_cast<int>(cases.size());
  const ConvCase extra[] = {
      {1, 6, 8, 9, 11, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)},   // 2 groups of 3 -> 4
      {2, 15, 21, 7, 10, generalParams(3, 3, 2, 1, 1, 1, 1, 0, 1, 2, 3)}, // 3 groups of 5 -> 7
      {1, 4, 16, 12, 12, generalParams(5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 4)}, // 4 groups of 1 -> 4
      {1, 96, 24, 20, 20, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},   // PP-OCR's neck
      {1, 30, 101, 5, 7, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},    // 2 blocks of OC and K
      {2, 12, 200, 3, 4, generalParams(3, 1, 1, 1, 1, 1, 1, 0, 1, 0, 2)}, // 2 groups of 100
      {1, 0, 5, 4, 4, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},       // no input channel
      {0, 3, 4, 5, 5, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},       // no image
      {1, 3, 0, 5, 5, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},       // no output channel
  };
  for (const ConvCase& c : extra) {
    cases.push_back(c);
    setEpilogue(cases.back().params, i++ * 7);
  }
  ConvCase oneD{1, 7, 9, 1, 31, generalParams(1, 5, 1, 2, 1, 2, 0, 2, 0, 1)};
  oneD.params.spatialRank = 1;
  setEpilogue(oneD.params, 29);
  cases.push_back(oneD);
  // Every epilogue combination on a shape with two blocks of K (360 = 2 x 180), two strips
  // and a partial tile of rows.
  for (int e = 0; e < 32; ++e) {
    ConvCase c{1, 40, 7, 11, 13, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
    setEpilogue(c.params, e);
    cases.push_back(c);
  }
  return cases;
}

inline ConvTransposeParams upsampleParams(int kH, int kW, int top, int left, int bottom, int right,
                                          int outputPaddingH = 0, int outputPaddingW = 0) {
  ConvTransposeParams p;
  p.kernel[0] = p.stride[0] = kH;
  p.kernel[1] = p.stride[1] = kW;
  p.padBegin[0] = top;
  p.padBegin[1] = left;
  p.padEnd[0] = bottom;
  p.padEnd[1] = right;
  p.outputPadding[0] = outputPaddingH;
  p.outputPadding[1] = outputPaddingW;
  return p;
}

// ConvTranspose with stride == kernel: 2x2 (PP-OCR's), 3x3, 4x4, 1x2, 2x1; no pads, pads
// that crop a tap, whole input rows or columns, asymmetric ones; output padding (pixels no
// input reaches); C and OC of 1, primes and sizes that are not a multiple of the register
// tiles' rows, 300 channels (two blocks), input planes of 1 pixel up to several strips,
// batch 2; with and without bias; fused Relu, Clip and HardSwish + affine in turn (also
// on the two-block case, where the scatter applies them); a 1-D case; no input channel;
// no image; no output channel.
inline std::vector<ConvTransposeCase> upsampleCases() {
  const ConvTransposeParams geometries[] = {
      upsampleParams(2, 2, 0, 0, 0, 0),       upsampleParams(2, 2, 1, 1, 1, 1),
      upsampleParams(3, 3, 0, 2, 1, 0),       upsampleParams(4, 4, 0, 0, 0, 0, 3, 1),
      upsampleParams(1, 2, 0, 1, 0, 0),       upsampleParams(2, 1, 3, 0, 0, 0, 1, 0),
      upsampleParams(2, 2, 0, 5, 3, 0, 1, 2),
  };
  struct Dims {
    std::int64_t batch, channels, outChannels, height, width;
  };
  const Dims dims[] = {{1, 1, 1, 1, 1},   {1, 24, 24, 7, 9},  {2, 3, 5, 4, 13},  {1, 13, 7, 5, 5},
                       {1, 40, 1, 3, 37}, {1, 300, 6, 3, 4},  {1, 5, 9, 11, 12}};
  std::vector<ConvTransposeCase> cases;
  int i = 0;
  for (const ConvTransposeParams& geometry : geometries) {
    for (const Dims& d : dims) {
      ConvTransposeCase c{d.batch, d.channels, d.outChannels, d.height, d.width, geometry};
      c.params.hasBias = static_cast<std::uint8_t>(i % 3 != 0);
      const ActivationParams activations[] = {
          {}, {Activation::kRelu, {}, 0, 0}, {Activation::kClip, {}, -0.25f, 0.5f},
          {Activation::kHardSwishAffine, {}, 0.75f, -0.125f}};
      c.params.activation = activations[(i / 2) % 4];
      ++i;
      std::vector<TensorType> ins;
      TensorType y;
      if (convTransposeTypes(c, ins, y)) cases.push_back(c);
    }
  }
  ConvTransposeCase oneD{1, 7, 9, 1, 31, upsampleParams(1, 2, 0, 1, 0, 2, 0, 1)};
  oneD.params.spatialRank = 1;
  oneD.params.hasBias = 1;
  oneD.params.activation.kind = Activation::kRelu;
  cases.push_back(oneD);
  ConvTransposeCase noChannel{1, 0, 5, 4, 4, upsampleParams(2, 2, 0, 0, 0, 0, 1, 1)};
  noChannel.params.hasBias = 1;
  noChannel.params.activation = {Activation::kHardSwishAffine, {}, 2.0f, 1.0f};  // act(bias) everywhere
  cases.push_back(noChannel);
  cases.push_back(ConvTransposeCase{0, 3, 4, 5, 5, upsampleParams(2, 2, 0, 0, 0, 0)});  // no image
  cases.push_back(ConvTransposeCase{1, 3, 0, 5, 5, upsampleParams(2, 2, 0, 0, 0, 0)});  // no output
  return cases;
}

// Where the variants claim to apply and where they must not.
inline void checkUpsampleApplies(const KernelVariant& v) {
  EXPECT_TRUE(variantApplies(v, ConvTransposeCase{1, 4, 6, 5, 5, upsampleParams(2, 2, 0, 0, 0, 0)}));
  EXPECT_TRUE(variantApplies(v, ConvTransposeCase{1, 4, 6, 5, 5, upsampleParams(3, 2, 1, 0, 2, 1, 2, 1)}))
      << "3x2, pads, output padding";
  ConvTransposeCase oneD{1, 4, 4, 1, 9, upsampleParams(1, 2, 0, 0, 0, 0)};
  oneD.params.spatialRank = 1;
  EXPECT_TRUE(variantApplies(v, oneD)) << "1-D";
  ConvTransposeCase overlap{1, 4, 6, 5, 5, upsampleParams(3, 3, 1, 1, 1, 1)};
  overlap.params.stride[0] = overlap.params.stride[1] = 2;
  EXPECT_FALSE(variantApplies(v, overlap)) << "3x3 stride 2";
  ConvTransposeCase gaps{1, 4, 6, 5, 5, upsampleParams(2, 2, 0, 0, 0, 0)};
  gaps.params.stride[1] = 3;
  EXPECT_FALSE(variantApplies(v, gaps)) << "2x2 stride 2, 3";
  ConvTransposeCase dilated{1, 4, 6, 5, 5, upsampleParams(2, 2, 0, 0, 0, 0)};
  dilated.params.dilation[0] = 2;
  EXPECT_FALSE(variantApplies(v, dilated)) << "dilation 2";
  ConvTransposeCase grouped{1, 4, 6, 5, 5, upsampleParams(2, 2, 0, 0, 0, 0)};
  grouped.params.group = 2;
  EXPECT_FALSE(variantApplies(v, grouped)) << "2 groups";
}

inline void checkGeneralApplies(const KernelVariant& v) {
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 5, 7, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)}));
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 5, 7, 9, 9, pointwiseParams()})) << "1x1";
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 5, 7, 30, 30, generalParams(7, 5, 3, 2, 2, 3, 0, 1, 2, 3)}))
      << "7x5, strides 3 and 2, dilations 2 and 3";
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 6, 8, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)}))
      << "2 groups of 4 outputs";
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 3, 12, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3)}))
      << "channel multiplier 4";
  ConvCase oneD{1, 4, 4, 1, 9, generalParams(1, 3, 1, 1, 1, 1, 0, 1, 0, 1)};
  oneD.params.spatialRank = 1;
  EXPECT_TRUE(variantApplies(v, oneD)) << "1-D";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 6, 6, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)}))
      << "2 groups of 3 outputs";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(7, 1, 1, 3, 3, 3, 3, 4)}))
      << "depthwise";
}

inline void checkPointwiseApplies(const KernelVariant& v) {
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 5, 7, 3, 3, pointwiseParams()}));
  ConvCase dilated{1, 5, 7, 3, 3, pointwiseParams()};
  dilated.params.dilation[0] = 2;  // no effect on a 1x1 kernel
  EXPECT_TRUE(variantApplies(v, dilated));
  ConvCase k3{1, 5, 7, 3, 3, pointwiseParams()};
  k3.params.kernel[0] = k3.params.kernel[1] = 3;
  EXPECT_FALSE(variantApplies(v, k3));
  ConvCase strided{1, 5, 7, 3, 3, pointwiseParams()};
  strided.params.stride[1] = 2;
  EXPECT_FALSE(variantApplies(v, strided));
  ConvCase padded{1, 5, 7, 3, 3, pointwiseParams()};
  padded.params.padEnd[0] = 1;
  EXPECT_FALSE(variantApplies(v, padded));
  ConvCase grouped{1, 6, 4, 3, 3, pointwiseParams()};
  grouped.params.group = 2;
  EXPECT_FALSE(variantApplies(v, grouped));
}

inline void checkDepthwiseApplies(const KernelVariant& v) {
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(3, 1, 1, 1, 1, 1, 1, 4)}));
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(5, 2, 1, 0, 3, 1, 0, 4)}));
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 1, 1, 9, 9, depthwiseParams(5, 2, 2, 2, 2, 2, 2, 1)}));
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 8, 9, 9, depthwiseParams(3, 1, 1, 1, 1, 1, 1, 4)}))
      << "channel multiplier 2";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(3, 1, 1, 1, 1, 1, 1, 2)}))
      << "group below C";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(7, 1, 1, 3, 3, 3, 3, 4)}))
      << "7x7";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(1, 1, 1, 0, 0, 0, 0, 4)}))
      << "1x1";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, depthwiseParams(3, 3, 1, 1, 1, 1, 1, 4)}))
      << "stride 3";
  ConvCase rect{1, 4, 4, 9, 9, depthwiseParams(3, 1, 1, 1, 1, 1, 1, 4)};
  rect.params.kernel[1] = 5;
  EXPECT_FALSE(variantApplies(v, rect)) << "3x5";
  ConvCase dilated{1, 4, 4, 9, 9, depthwiseParams(3, 1, 1, 1, 1, 1, 1, 4)};
  dilated.params.dilation[1] = 2;
  EXPECT_FALSE(variantApplies(v, dilated)) << "dilation 2";
  ConvCase oneD{1, 4, 4, 1, 9, depthwiseParams(3, 1, 1, 0, 1, 0, 1, 4)};
  oneD.params.spatialRank = 1;
  oneD.params.kernel[0] = 1;
  EXPECT_FALSE(variantApplies(v, oneD)) << "1-D";
}

// Direct (few input channels): C of 1 to 4; kernels 1x1 to 7x7, square and not (3x5, 7x1);
// strides 1, 2 and mixed; symmetric, asymmetric, zero and oversized pads; output channels
// from 1 to 50 (one tile of 24 rows, a partial one, and two and three blocks); rows of 1
// to 70 pixels (tails of every kind mod 16, several vectors, stride-2 rows whose 32-column
// loads cross the right edge); batch 2; the first convs of BlazeFace and PP-OCR.
inline std::vector<ConvCase> directCases() {
  const ConvParams geometries[] = {
      generalParams(1, 1, 1, 1, 1, 1, 0, 0, 0, 0), generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
      generalParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1), generalParams(3, 3, 2, 2, 1, 1, 0, 0, 1, 1),
      generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2), generalParams(5, 5, 1, 1, 1, 1, 2, 2, 2, 2),
      generalParams(7, 7, 2, 2, 1, 1, 3, 3, 3, 3), generalParams(3, 5, 1, 2, 1, 1, 0, 2, 1, 3),
      generalParams(7, 1, 2, 1, 1, 1, 3, 0, 2, 0), generalParams(3, 3, 1, 1, 1, 1, 4, 5, 3, 6),
      generalParams(2, 2, 2, 2, 1, 1, 0, 0, 0, 0),
  };
  const ConvDims dims[] = {{1, 1, 1, 1, 1},   {1, 3, 24, 11, 13}, {1, 1, 7, 9, 9},   {2, 4, 13, 8, 17},
                           {1, 3, 25, 6, 33}, {1, 2, 50, 5, 70},  {1, 3, 16, 4, 47}, {1, 4, 48, 3, 31}};
  std::vector<ConvCase> cases = crossCases(geometries, dims, 5);
  ConvCase blaze{1, 3, 24, 128, 128, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)};
  blaze.params.hasBias = 1;
  blaze.params.activation = activationNumber(1);
  cases.push_back(blaze);
  ConvCase ocr{1, 3, 16, 64, 64, generalParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1)};
  ocr.params.hasBias = 1;
  ocr.params.activation = activationNumber(3);
  cases.push_back(ocr);
  // 3x3 over many channels: 5 (just past the few), 9, 17, 95, 96 (PP-OCR's neck, 96 -> 24
  // with bias, residual and HardSwish; more would pass kMaxGeneralDepth, the tolerance's
  // bound); strides 1 and 2, odd sizes, one row.
  const ConvParams wide3x3[] = {generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1), generalParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1),
                                generalParams(3, 3, 1, 2, 1, 1, 0, 1, 2, 0)};
  const ConvDims wideDims[] = {{1, 5, 7, 9, 11}, {2, 17, 13, 6, 35}, {1, 96, 24, 11, 40}, {1, 95, 3, 5, 5},
                               {1, 9, 12, 1, 50}};
  for (const ConvCase& c : crossCases(wide3x3, wideDims, 11)) cases.push_back(c);
  ConvCase neck{1, 96, 24, 40, 40, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  neck.params.hasBias = 1;
  neck.params.hasResidual = 1;
  neck.params.activation = activationNumber(6);
  cases.push_back(neck);
  return cases;
}

inline void checkDirectApplies(const KernelVariant& v) {
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 3, 24, 9, 9, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)}));
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 1, 5, 9, 9, generalParams(1, 1, 1, 1, 1, 1, 0, 0, 0, 0)}));
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 4, 100, 9, 9, generalParams(7, 3, 1, 2, 1, 1, 3, 1, 3, 1)}));
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 5, 8, 9, 9, generalParams(5, 5, 1, 1, 1, 1, 2, 2, 2, 2)}))
      << "5 input channels, 5x5";
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 5, 8, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)}))
      << "5 input channels, 3x3";
  EXPECT_TRUE(variantApplies(v, ConvCase{1, 256, 8, 9, 9, generalParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1)}))
      << "256 input channels, 3x3";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 257, 8, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)}))
      << "257 input channels";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 96, 8, 9, 9, generalParams(1, 1, 1, 1, 1, 1, 0, 0, 0, 0)}))
      << "96 input channels, 1x1 (the pointwise variant's)";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 96, 8, 9, 9, generalParams(3, 1, 1, 1, 1, 1, 1, 0, 1, 0)}))
      << "96 input channels, 3x1";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 0, 8, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)}))
      << "no input channel";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 4, 4, 9, 9, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)}))
      << "2 groups";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 3, 8, 9, 9, generalParams(3, 3, 3, 3, 1, 1, 1, 1, 1, 1)}))
      << "stride 3";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 3, 8, 9, 9, generalParams(3, 3, 1, 1, 2, 2, 2, 2, 2, 2)}))
      << "dilation 2";
  EXPECT_FALSE(variantApplies(v, ConvCase{1, 3, 8, 20, 20, generalParams(9, 9, 1, 1, 1, 1, 4, 4, 4, 4)}))
      << "9x9";
  ConvCase oneD{1, 3, 4, 1, 9, generalParams(1, 3, 1, 1, 1, 1, 0, 1, 0, 1)};
  oneD.params.spatialRank = 1;
  EXPECT_FALSE(variantApplies(v, oneD)) << "1-D";
}

// Every case of `cases` on worker pools of 1, 2, 3 and 4 threads (the pool of 1 runs the
// tasks on the caller): against the reference and bit for bit against the run without a
// pool. The shapes of the models come on top: enough work that every thread takes part.
template <typename Case>
void checkOnThreads(const KernelVariant& variant, const std::vector<Case>& cases, unsigned seed) {
  for (int threads = 1; threads <= 4; ++threads) {
    for (const Case& c : cases) checkAgainstReference(variant, c, seed++, threads);
  }
}

}  // namespace edgert::kernels::test
