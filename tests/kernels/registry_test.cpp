// The op registry: one OpInfo and one reference variant per OpCode, nothing for unknown
// codes, and infer functions that survive garbage parameters (the loader is fuzzed: a
// model image may hold anything). Run under ASan/UBSan, the fuzz tests also prove that
// whatever an infer function accepts, its reference kernel runs without reading or writing
// outside the buffers the infer function sized; every build proves it runs without allocating.
#include "edgert/kernels/registry.hpp"

#include "edgert/kernels/shape_check.hpp"

#include "ref/ref_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace edgert::kernels {
namespace {

using test::f32;
using test::runWithoutAllocating;

struct ExpectedOp {
  OpCode code;
  std::size_t paramsBytes;
};

// The parameter struct of every op code, in code order.
constexpr std::array kExpectedOps{
    ExpectedOp{OpCode::kConv, sizeof(ConvParams)},
    ExpectedOp{OpCode::kConvTranspose, sizeof(ConvTransposeParams)},
    ExpectedOp{OpCode::kGemm, sizeof(GemmParams)},
    ExpectedOp{OpCode::kMatMul, sizeof(MatMulParams)},
    ExpectedOp{OpCode::kBinary, sizeof(BinaryParams)},
    ExpectedOp{OpCode::kActivation, sizeof(ActivationParams)},
    ExpectedOp{OpCode::kSoftmax, sizeof(SoftmaxParams)},
    ExpectedOp{OpCode::kMaxPool, sizeof(PoolParams)},
    ExpectedOp{OpCode::kAveragePool, sizeof(PoolParams)},
    ExpectedOp{OpCode::kGlobalAveragePool, sizeof(GlobalPoolParams)},
    ExpectedOp{OpCode::kBatchNorm, sizeof(BatchNormParams)},
    ExpectedOp{OpCode::kConcat, sizeof(ConcatParams)},
    ExpectedOp{OpCode::kReshape, sizeof(ReshapeParams)},
    ExpectedOp{OpCode::kTranspose, sizeof(TransposeParams)},
    ExpectedOp{OpCode::kSlice, sizeof(SliceParams)},
    ExpectedOp{OpCode::kPad, sizeof(PadParams)},
    ExpectedOp{OpCode::kResize, sizeof(ResizeParams)},
    ExpectedOp{OpCode::kReduce, sizeof(ReduceParams)},
    ExpectedOp{OpCode::kUnary, sizeof(UnaryParams)},
    ExpectedOp{OpCode::kLogSoftmax, sizeof(SoftmaxParams)},
    ExpectedOp{OpCode::kSplit, sizeof(SplitParams)},
    ExpectedOp{OpCode::kWhere, sizeof(WhereParams)},
    ExpectedOp{OpCode::kCast, sizeof(CastParams)},
    ExpectedOp{OpCode::kGather, sizeof(GatherParams)},
    ExpectedOp{OpCode::kGatherElements, sizeof(GatherParams)},
    ExpectedOp{OpCode::kExpand, sizeof(ExpandParams)},
    ExpectedOp{OpCode::kTrilu, sizeof(TriluParams)},
    ExpectedOp{OpCode::kLayerNorm, sizeof(LayerNormParams)},
    ExpectedOp{OpCode::kTopK, sizeof(TopKParams)},
    ExpectedOp{OpCode::kNllLoss, sizeof(NllLossParams)},
    ExpectedOp{OpCode::kNonMaxSuppression, sizeof(NmsParams)},
    ExpectedOp{OpCode::kDepthwisePointwise, sizeof(DepthwisePointwiseParams)},
};
static_assert(kExpectedOps.size() == kMaxOpCode, "a new OpCode needs a line here");

TEST(Registry, EveryOpCodeHasAnOpInfoWithItsParamsSize) {
  for (std::uint16_t c = 1; c <= kMaxOpCode; ++c) {
    const ExpectedOp& want = kExpectedOps[c - 1];
    ASSERT_EQ(static_cast<std::uint16_t>(want.code), c);
    const OpInfo* op = findOp(static_cast<OpCode>(c));
    ASSERT_NE(op, nullptr) << "op code " << c;
    EXPECT_EQ(op->code, want.code);
    EXPECT_EQ(op->paramsBytes, want.paramsBytes) << op->name;
    EXPECT_FALSE(op->name.empty());
    EXPECT_NE(op->infer, nullptr) << op->name;
    EXPECT_GE(op->minInputs, 1) << op->name;
    EXPECT_LE(op->minInputs, op->maxInputs) << op->name;
    EXPECT_GE(op->minOutputs, 1) << op->name;
    EXPECT_LE(op->minOutputs, op->maxOutputs) << op->name;
    // One output, but Split's 1..kMaxSplitOutputs, LayerNormalization's 1..3 (Y, mean,
    // inverse std dev) and TopK's 2 (values, indices).
    const int most = op->code == OpCode::kSplit       ? kMaxSplitOutputs
                     : op->code == OpCode::kLayerNorm ? 3
                     : op->code == OpCode::kTopK || op->code == OpCode::kNonMaxSuppression ? 2
                                                      : 1;
    EXPECT_EQ(op->maxOutputs, most) << op->name;
  }
}

TEST(Registry, EveryOpCodeHasAReferenceVariantZero) {
  for (std::uint16_t c = 1; c <= kMaxOpCode; ++c) {
    const KernelVariant* v = findVariant(static_cast<OpCode>(c), 0);
    ASSERT_NE(v, nullptr) << "op code " << c;
    EXPECT_EQ(static_cast<std::uint16_t>(v->code), c);
    EXPECT_EQ(v->id, 0);
    EXPECT_EQ(v->name, "ref");
    EXPECT_EQ(v->isa, Isa::kAny);
    EXPECT_NE(v->run, nullptr);
  }
}

TEST(Registry, UnknownCodesAndVariantsAreNotFound) {
  EXPECT_EQ(findOp(static_cast<OpCode>(0)), nullptr);
  EXPECT_EQ(findOp(static_cast<OpCode>(kMaxOpCode + 1)), nullptr);
  EXPECT_EQ(findOp(static_cast<OpCode>(0xFFFF)), nullptr);
  EXPECT_EQ(findVariant(static_cast<OpCode>(0), 0), nullptr);
  EXPECT_EQ(findVariant(static_cast<OpCode>(kMaxOpCode + 1), 0), nullptr);
  EXPECT_EQ(findVariant(OpCode::kConv, 0xFFFF), nullptr);
}

TEST(Registry, ListsEachOpOnceAndEachVariantOnce) {
  EXPECT_EQ(allOps().size(), kMaxOpCode);
  std::set<std::uint16_t> codes;
  std::set<std::string_view> names;
  for (const OpInfo& op : allOps()) {
    EXPECT_TRUE(codes.insert(static_cast<std::uint16_t>(op.code)).second) << op.name;
    EXPECT_TRUE(names.insert(op.name).second) << op.name;
    EXPECT_EQ(findOp(op.code), &op);
  }
  std::set<std::pair<std::uint16_t, std::uint16_t>> variants;
  for (const KernelVariant& v : allVariants()) {
    EXPECT_TRUE(variants.insert({static_cast<std::uint16_t>(v.code), v.id}).second)
        << "op " << static_cast<unsigned>(v.code) << " variant " << v.id;
    EXPECT_NE(findOp(v.code), nullptr) << "variant " << v.name << " of an unknown op";
    EXPECT_EQ(findVariant(v.code, v.id), &v);
  }
}

TEST(Registry, OnlyElementwiseOpsReshapeAndConvResidualMayAliasAnInput) {
  const std::map<OpCode, unsigned> aliasing = {{OpCode::kBinary, 0b11u},    {OpCode::kActivation, 0b1u},
                                               {OpCode::kBatchNorm, 0b1u}, {OpCode::kReshape, 0b1u},
                                               {OpCode::kConv, 0b1000u},  {OpCode::kUnary, 0b1u}};
  for (const OpInfo& op : allOps()) {
    const auto it = aliasing.find(op.code);
    EXPECT_EQ(op.aliasInputs, it == aliasing.end() ? 0u : it->second) << op.name;
  }
}

// --- Fuzzing the infer functions -------------------------------------------------------

// multiplyAdds counts the products each op's definition does: per output of a Conv, its
// weights' C/group x kH x kW; per input of a ConvTranspose, OC/group x kH x kW; per output
// of Gemm and MatMul, the shared dimension.
TEST(Registry, MultiplyAddsCountEachProductOnce) {
  ConvParams conv;
  conv.kernel[0] = conv.kernel[1] = 3;
  conv.group = 2;
  const TensorType convIn[] = {f32({1, 8, 10, 10}), f32({16, 4, 3, 3})};
  const TensorType convOut[] = {f32({1, 16, 8, 8})};
  EXPECT_EQ(multiplyAdds(OpCode::kConv, &conv, convIn, convOut), 16u * 8 * 8 * 4 * 3 * 3);

  ConvTransposeParams up;
  up.kernel[0] = up.kernel[1] = up.stride[0] = up.stride[1] = 2;
  const TensorType upIn[] = {f32({1, 24, 5, 7}), f32({24, 6, 2, 2})};
  const TensorType upOut[] = {f32({1, 6, 10, 14})};
  EXPECT_EQ(multiplyAdds(OpCode::kConvTranspose, &up, upIn, upOut), 24u * 5 * 7 * 6 * 2 * 2);

  GemmParams gemm;
  gemm.transA = 1;  // A is K x M: 9 x 3
  const TensorType gemmIn[] = {f32({9, 3}), f32({9, 5})};
  const TensorType gemmOut[] = {f32({3, 5})};
  EXPECT_EQ(multiplyAdds(OpCode::kGemm, &gemm, gemmIn, gemmOut), 3u * 5 * 9);

  const TensorType mmIn[] = {f32({2, 4, 7}), f32({7, 3})};
  const TensorType mmOut[] = {f32({2, 4, 3})};
  EXPECT_EQ(multiplyAdds(OpCode::kMatMul, nullptr, mmIn, mmOut), 2u * 4 * 3 * 7);

  // Fused depthwise 3x3 (each of 4 x 6 x 5 values of T: 9) and pointwise 4 -> 7.
  DepthwisePointwiseParams fused;
  const TensorType fusedIn[] = {f32({1, 4, 6, 5}), f32({4, 1, 3, 3}), f32({7, 4, 1, 1})};
  const TensorType fusedOut[] = {f32({1, 7, 6, 5})};
  EXPECT_EQ(multiplyAdds(OpCode::kDepthwisePointwise, &fused, fusedIn, fusedOut), 4u * 6 * 5 * 9 + 7u * 6 * 5 * 4);

  ActivationParams relu;
  const TensorType actIo[] = {f32({1, 8, 10, 10})};
  EXPECT_EQ(multiplyAdds(OpCode::kActivation, &relu, actIo, actIo), 0u);
}

using Rng = std::mt19937_64;

// Input types an op might plausibly see in a model.
std::vector<TensorType> plausibleInputs(OpCode code) {
  switch (code) {
    case OpCode::kConv: return {f32({1, 3, 8, 8}), f32({4, 3, 3, 3}), f32({4}), f32({1, 4, 6, 6})};
    case OpCode::kConvTranspose: return {f32({1, 4, 5, 5}), f32({4, 2, 3, 3}), f32({2})};
    case OpCode::kGemm: return {f32({3, 4}), f32({4, 5}), f32({5})};
    case OpCode::kMatMul: return {f32({2, 3, 4}), f32({4, 5})};
    case OpCode::kBinary: return {f32({2, 3, 4}), f32({3, 1})};
    case OpCode::kActivation: return {f32({2, 3, 5})};
    case OpCode::kSoftmax:
    case OpCode::kLogSoftmax: return {f32({2, 7})};
    case OpCode::kMaxPool:
    case OpCode::kAveragePool: return {f32({1, 2, 7, 7})};
    case OpCode::kGlobalAveragePool: return {f32({1, 3, 5, 5})};
    case OpCode::kBatchNorm: return {f32({1, 3, 4, 4}), f32({3}), f32({3}), f32({3}), f32({3})};
    case OpCode::kConcat: return {f32({2, 3, 4}), f32({2, 5, 4}), f32({2, 1, 4})};
    case OpCode::kReshape:
    case OpCode::kTranspose:
    case OpCode::kReduce:
    case OpCode::kUnary:
    case OpCode::kSplit: return {f32({2, 3, 4})};
    case OpCode::kSlice: return {f32({5, 7})};
    case OpCode::kPad: return {f32({2, 3})};
    case OpCode::kResize: return {f32({1, 2, 4, 4})};
    case OpCode::kWhere: return {TensorType{DType::kBool, Shape::of({2, 1, 4})}, f32({3, 4}), f32({1})};
    case OpCode::kCast:
    case OpCode::kTrilu:
    case OpCode::kTopK:
    case OpCode::kExpand: return {f32({3, 1, 4})};
    case OpCode::kGather: return {f32({5, 3}), TensorType{DType::kInt64, Shape::of({2, 2})}};
    case OpCode::kGatherElements: return {f32({4, 3}), TensorType{DType::kInt32, Shape::of({6, 3})}};
    case OpCode::kLayerNorm: return {f32({2, 3, 4}), f32({3, 4}), f32({4})};
    case OpCode::kNllLoss: return {f32({2, 5, 3}), TensorType{DType::kInt64, Shape::of({2, 3})}, f32({5})};
    case OpCode::kNonMaxSuppression: return {f32({2, 6, 4}), f32({2, 3, 6})};
    case OpCode::kDepthwisePointwise:
      return {f32({1, 4, 7, 6}), f32({4, 1, 3, 3}), f32({5, 4, 1, 1}), f32({4}), f32({5}), f32({1, 5, 7, 6})};
  }
  return {f32({2, 3})};
}

// A parameter block that is valid (or nearly) for plausibleInputs(code): mutating it reaches
// the checks behind the first ones.
template <typename P>
std::vector<std::byte> bytesOf(const P& p) {
  std::vector<std::byte> b(sizeof p);
  std::memcpy(b.data(), &p, sizeof p);
  return b;
}

std::vector<std::byte> seedParams(OpCode code) {
  switch (code) {
    case OpCode::kConv: {
      ConvParams p;
      p.kernel[0] = p.kernel[1] = 3;
      p.hasBias = 1;
      return bytesOf(p);
    }
    case OpCode::kConvTranspose: {
      ConvTransposeParams p;
      p.kernel[0] = p.kernel[1] = 3;
      p.hasBias = 1;
      return bytesOf(p);
    }
    case OpCode::kGemm: {
      GemmParams p;
      p.hasC = 1;
      return bytesOf(p);
    }
    case OpCode::kMatMul: return bytesOf(MatMulParams{});
    case OpCode::kBinary: {
      BinaryParams p;
      p.op = BinaryOp::kDiv;
      p.activation.kind = Activation::kClip;
      p.activation.alpha = -1.0f;
      p.activation.beta = 1.0f;
      return bytesOf(p);
    }
    case OpCode::kActivation: {
      ActivationParams p;
      p.kind = Activation::kHardSigmoid;
      p.alpha = 0.2f;
      p.beta = 0.5f;
      return bytesOf(p);
    }
    case OpCode::kSoftmax:
    case OpCode::kLogSoftmax: return bytesOf(SoftmaxParams{1});
    case OpCode::kMaxPool:
    case OpCode::kAveragePool: {
      PoolParams p;
      p.kernel[0] = p.kernel[1] = 3;
      p.stride[0] = p.stride[1] = 2;
      return bytesOf(p);
    }
    case OpCode::kGlobalAveragePool: return bytesOf(GlobalPoolParams{});
    case OpCode::kBatchNorm: return bytesOf(BatchNormParams{});
    case OpCode::kConcat: return bytesOf(ConcatParams{1});
    case OpCode::kReshape: {
      ReshapeParams p;
      p.shape = Shape::of({4, 6});
      return bytesOf(p);
    }
    case OpCode::kTranspose: {
      TransposeParams p;
      p.rank = 3;
      p.perm[0] = 2;
      p.perm[1] = 0;
      p.perm[2] = 1;
      return bytesOf(p);
    }
    case OpCode::kSlice: {
      SliceParams p;
      p.rank = 2;
      p.start[0] = 4;
      p.step[0] = -2;
      p.count[0] = 3;
      p.start[1] = 1;
      p.step[1] = 3;
      p.count[1] = 2;
      return bytesOf(p);
    }
    case OpCode::kPad: {
      PadParams p;
      p.rank = 2;
      p.value = 3.0f;
      p.padBegin[0] = 1;
      p.padEnd[0] = -1;
      p.padBegin[1] = -2;
      p.padEnd[1] = 2;
      return bytesOf(p);
    }
    case OpCode::kResize: {
      ResizeParams p;
      p.mode = ResizeMode::kLinear;
      p.outputShape = Shape::of({1, 2, 8, 8});
      p.scale[0] = p.scale[1] = 1.0f;
      p.scale[2] = p.scale[3] = 2.0f;
      return bytesOf(p);
    }
    case OpCode::kReduce: {
      ReduceParams p;
      p.axesMask = 0b110;
      return bytesOf(p);
    }
    case OpCode::kSplit: {
      SplitParams p;
      p.axis = 2;
      p.count = 3;
      p.sizes[0] = 1;
      p.sizes[1] = 2;
      p.sizes[2] = 1;
      return bytesOf(p);
    }
    case OpCode::kUnary: {
      UnaryParams p;
      p.kind = UnaryKind::kSelu;
      p.alpha = 1.67f;
      p.beta = 1.05f;
      return bytesOf(p);
    }
    case OpCode::kWhere: return bytesOf(WhereParams{});
    case OpCode::kCast: {
      CastParams p;
      p.to = DType::kInt8;
      return bytesOf(p);
    }
    case OpCode::kGather:
    case OpCode::kGatherElements: return bytesOf(GatherParams{0});
    case OpCode::kExpand: {
      ExpandParams p;
      p.shape = Shape::of({2, 3, 5, 4});
      return bytesOf(p);
    }
    case OpCode::kTrilu: {
      TriluParams p;
      p.k = -1;
      return bytesOf(p);
    }
    case OpCode::kLayerNorm: return bytesOf(LayerNormParams{1, 1e-3f});
    case OpCode::kNonMaxSuppression: {
      NmsParams p;
      p.maxPerClass = 4;
      p.iouThreshold = 0.5f;
      p.hasScoreThreshold = 1;
      return bytesOf(p);
    }
    case OpCode::kNllLoss: {
      NllLossParams p;
      p.hasIgnoreIndex = 1;
      p.ignoreIndex = 2;
      return bytesOf(p);
    }
    case OpCode::kTopK: {
      TopKParams p;
      p.axis = 2;
      p.k = 3;
      return bytesOf(p);
    }
    case OpCode::kDepthwisePointwise: {
      DepthwisePointwiseParams p;
      p.depthwise.kernel[0] = p.depthwise.kernel[1] = 3;
      p.depthwise.padBegin[0] = p.depthwise.padBegin[1] = p.depthwise.padEnd[0] = p.depthwise.padEnd[1] = 1;
      p.depthwise.group = 4;
      p.depthwise.hasBias = 1;
      p.pointwise.hasBias = 1;
      p.pointwise.hasResidual = 1;
      return bytesOf(p);
    }
  }
  return {};
}

// Values that sit on the edges of the checks: zero, signs, limits, float specials.
// clang-format off
constexpr std::uint32_t kInteresting32[] = {
    0, 1, 2, 3, 7, 8, 9, 64, 65, 0xFFFFFFFF /* -1 */, 0xFFFFFFFE /* -2 */, 0x7FFFFFFF,
    0x80000000, 0x3F800000 /* 1.0f */, 0x7F800000 /* inf */, 0xFF800000 /* -inf */,
    0x7FC00000 /* NaN */, 0x00000001 /* denormal */};
constexpr std::uint64_t kInteresting64[] = {
    0, 1, 2, 5, 7, ~std::uint64_t{0} /* -1 */, ~std::uint64_t{4} /* -5 */,
    std::uint64_t{1} << 40, (std::uint64_t{1} << 40) + 1, std::uint64_t{1} << 62,
    std::uint64_t{1} << 63 /* INT64_MIN */, ~(std::uint64_t{1} << 63) /* INT64_MAX */,
    0x8000000000000001};
// clang-format on

template <typename T, std::size_t N>
T pick(Rng& rng, const T (&values)[N]) {
  return values[rng() % N];
}

void mutate(std::vector<std::byte>& block, Rng& rng) {
  if (block.empty()) return;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t size = block.size();
    switch (rng() % 4) {
      case 0:  // one random byte
        block[rng() % size] = static_cast<std::byte>(rng());
        break;
      case 1:  // one flipped bit
        block[rng() % size] ^= static_cast<std::byte>(1u << (rng() % 8));
        break;
      case 2:  // an interesting 32-bit value on a 4-byte boundary
        if (size >= 4) {
          const std::uint32_t v = pick(rng, kInteresting32);
          std::memcpy(block.data() + (rng() % (size / 4)) * 4, &v, 4);
        }
        break;
      default:  // an interesting 64-bit value on an 8-byte boundary
        if (size >= 8) {
          const std::uint64_t v = pick(rng, kInteresting64);
          std::memcpy(block.data() + (rng() % (size / 8)) * 8, &v, 8);
        }
        break;
    }
  }
}

std::int64_t smallDim(Rng& rng) { return static_cast<std::int64_t>(rng() % 7); }

constexpr DType kDTypes[] = {DType::kFloat32, DType::kUint8, DType::kInt8,
                             DType::kInt32,   DType::kInt64, DType::kBool};

// Changes the input list the way a corrupt image or a compiler bug might.
void perturbInputs(std::vector<TensorType>& inputs, Rng& rng) {
  if (inputs.empty()) {
    inputs.push_back(f32({2, 2}));
    return;
  }
  const std::uint64_t what = rng() % 7;
  if (what == 4) {  // one input too few
    inputs.pop_back();
    return;
  }
  if (what == 5) {  // one input too many
    inputs.push_back(inputs.front());
    return;
  }
  TensorType& t = inputs[rng() % inputs.size()];
  switch (what) {
    case 0:  // another small shape
      t.shape.rank = static_cast<std::int32_t>(rng() % 6);
      for (int i = 0; i < t.shape.rank; ++i) t.shape.dims[i] = smallDim(rng);
      break;
    case 1:                    // one dim changed
      if (t.shape.rank > 0) {  // rank may be garbage from an earlier perturbation
        const int rank = std::min(t.shape.rank, kMaxRank);
        t.shape.dims[rng() % static_cast<std::size_t>(rank)] = smallDim(rng);
      }
      break;
    case 2: t.dtype = pick(rng, kDTypes); break;
    case 3: t.shape.rank = kAbsentRank; break;
    default: {  // garbage from a corrupt file: odd ranks, negative and huge dims, bad dtype
      const std::int64_t odd[] = {-1,
                                  0,
                                  1,
                                  std::int64_t{1} << 40,
                                  (std::int64_t{1} << 40) + 1,
                                  std::int64_t{1} << 62,
                                  INT64_MIN,
                                  INT64_MAX};
      t.shape.rank = static_cast<std::int32_t>(rng() % 13) - 2;  // -2..10
      for (int i = 0; i < kMaxRank; ++i) {
        t.shape.dims[i] = rng() % 2 ? pick(rng, odd) : smallDim(rng);
      }
      if (rng() % 4 == 0) t.dtype = static_cast<DType>(rng() % 16);
      break;
    }
  }
}

std::string describe(const OpInfo& op, const std::vector<std::byte>& params,
                     const std::vector<TensorType>& inputs) {
  std::string s = fmt::format("{} params", op.name);
  for (const std::byte b : params) s += fmt::format(" {:02x}", static_cast<unsigned>(b));
  s += " inputs";
  for (const TensorType& t : inputs) {
    s += fmt::format(" {}:{}", static_cast<unsigned>(t.dtype),
                     t.shape.rank < 0 || t.shape.rank > kMaxRank
                         ? fmt::format("rank {}", t.shape.rank)
                         : formatShape(t.shape));
  }
  return s;
}

// One fuzz case: params (random or a mutated seed) and input types (plausible or perturbed).
struct FuzzCase {
  std::vector<std::byte> params;
  std::vector<TensorType> inputs;
  std::size_t numOutputs = 1;
};

FuzzCase makeCase(const OpInfo& op, Rng& rng) {
  FuzzCase c;
  c.numOutputs = op.code == OpCode::kSplit       ? 3
                 : op.code == OpCode::kLayerNorm ? 3
                 : op.code == OpCode::kTopK || op.code == OpCode::kNonMaxSuppression ? 2
                                                 : 1;
  if (rng() % 4 == 0) {
    c.params.resize(op.paramsBytes);
    for (std::byte& b : c.params) b = static_cast<std::byte>(rng());
  } else {
    c.params = seedParams(op.code);
    mutate(c.params, rng);
  }
  c.inputs = plausibleInputs(op.code);
  if (rng() % 2 == 0) perturbInputs(c.inputs, rng);
  if (rng() % 8 == 0) perturbInputs(c.inputs, rng);
  if (rng() % 32 == 0) c.numOutputs = rng() % 4;
  return c;
}

// Calls the infer function on a case; on success checks what it promised.
Result<void> inferCase(const OpInfo& op, const FuzzCase& c, std::vector<TensorType>& outputs) {
  outputs.assign(c.numOutputs, TensorType{});
  // Exactly paramsBytes on the heap: ASan catches an infer function reading past them.
  const auto block = std::make_unique<std::byte[]>(op.paramsBytes);
  std::memcpy(block.get(), c.params.data(), op.paramsBytes);
  const Result<void> r = op.infer(block.get(), c.inputs, outputs);
  if (r) {
    EXPECT_GE(c.inputs.size(), op.minInputs) << describe(op, c.params, c.inputs);
    EXPECT_LE(c.inputs.size(), op.maxInputs) << describe(op, c.params, c.inputs);
    EXPECT_GE(outputs.size(), op.minOutputs) << describe(op, c.params, c.inputs);
    EXPECT_LE(outputs.size(), op.maxOutputs) << describe(op, c.params, c.inputs);
    for (const TensorType& t : outputs) {
      EXPECT_TRUE(isValidDType(static_cast<std::uint8_t>(t.dtype)))
          << describe(op, c.params, c.inputs);
      const Result<void> valid = validateShape(t.shape, op.name);
      EXPECT_TRUE(valid.ok()) << (valid ? "" : valid.error().message()) << " from "
                              << describe(op, c.params, c.inputs);
    }
  } else {
    EXPECT_FALSE(r.error().message().empty());
  }
  return r;
}

constexpr int kInferIterations = 3000;
constexpr int kRunIterations = 1500;

TEST(RegistryFuzz, InferFunctionsSurviveGarbageParams) {
  for (const OpInfo& op : allOps()) {
    Rng rng(0x5eed0000u + static_cast<unsigned>(op.code));
    int accepted = 0;
    for (int i = 0; i < kInferIterations; ++i) {
      const FuzzCase c = makeCase(op, rng);
      std::vector<TensorType> outputs;
      if (inferCase(op, c, outputs)) ++accepted;
      if (testing::Test::HasFailure()) return;
    }
    // Not a pass criterion: a stub infer accepts nothing. Printed for whoever tunes the fuzz.
    RecordProperty(std::string(op.name) + "_accepted", accepted);
  }
}

TEST(RegistryFuzz, InferFunctionsRejectUnseededRandomBytes) {
  // Fully random parameter blocks with plausible inputs: whatever happens, it must return.
  for (const OpInfo& op : allOps()) {
    Rng rng(0xbadc0deu + static_cast<unsigned>(op.code));
    for (int i = 0; i < kInferIterations; ++i) {
      FuzzCase c;
      c.params.resize(op.paramsBytes);
      for (std::byte& b : c.params) b = static_cast<std::byte>(rng());
      c.inputs = plausibleInputs(op.code);
      std::vector<TensorType> outputs;
      (void)inferCase(op, c, outputs);
      if (testing::Test::HasFailure()) return;
    }
  }
}

void fillRandom(std::vector<std::byte>& bytes, DType dtype, Rng& rng) {
  const std::size_t n = bytes.size() / dtypeSize(dtype);
  for (std::size_t i = 0; i < n; ++i) {
    std::byte* p = bytes.data() + i * dtypeSize(dtype);
    switch (dtype) {
      case DType::kFloat32: {
        const float v = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 125.0f;
        std::memcpy(p, &v, sizeof v);
        break;
      }
      case DType::kBool: *p = static_cast<std::byte>(rng() % 2); break;
      default:  // every bit pattern is a valid integer
        for (std::size_t b = 0; b < dtypeSize(dtype); ++b) p[b] = static_cast<std::byte>(rng());
        break;
    }
  }
}

TEST(RegistryFuzz, AcceptedParamsRunTheReferenceKernelInBounds) {
  constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 20;
  for (const OpInfo& op : allOps()) {
    const KernelVariant* ref = findVariant(op.code, 0);
    ASSERT_NE(ref, nullptr) << op.name;
    Rng rng(0xfeed0000u + static_cast<unsigned>(op.code));
    for (int i = 0; i < kRunIterations; ++i) {
      const FuzzCase c = makeCase(op, rng);
      std::vector<TensorType> outTypes;
      if (!inferCase(op, c, outTypes)) continue;
      if (testing::Test::HasFailure()) return;

      // Exactly sized buffers, so ASan sees any read or write outside them.
      bool small = true;
      for (const TensorType& t : c.inputs) {
        small = small && (t.shape.rank < 0 || t.bytes() <= kMaxBytes);
      }
      for (const TensorType& t : outTypes) small = small && t.bytes() <= kMaxBytes;
      if (!small) continue;
      std::vector<std::vector<std::byte>> inData;
      std::vector<InTensor> in;
      for (const TensorType& t : c.inputs) {
        if (t.shape.rank == kAbsentRank) {
          inData.emplace_back();
          in.push_back({nullptr, t});
          continue;
        }
        inData.emplace_back(t.bytes());
        fillRandom(inData.back(), t.dtype, rng);
        in.push_back({inData.back().data(), t});
      }
      std::vector<std::vector<std::byte>> outData;
      std::vector<OutTensor> out;
      for (const TensorType& t : outTypes) {
        outData.emplace_back(t.bytes());
        out.push_back({outData.back().data(), t});
      }
      std::vector<std::byte> scratchData;
      std::span<std::byte> scratch;
      if (ref->scratch) {
        const std::uint64_t bytes = ref->scratch(c.params.data(), c.inputs, outTypes);
        if (bytes > kMaxBytes) continue;
        scratchData.resize(bytes + 64);
        void* p = scratchData.data();
        std::size_t space = scratchData.size();
        std::align(64, bytes, p, space);
        scratch = {static_cast<std::byte*>(p), bytes};
      }
      const auto block = std::make_unique<std::byte[]>(op.paramsBytes);
      std::memcpy(block.get(), c.params.data(), op.paramsBytes);
      runWithoutAllocating(*ref, KernelArgs{block.get(), in, out, scratch});
    }
  }
}

}  // namespace
}  // namespace edgert::kernels
