// DepthwisePointwise (a depthwise Conv and the pointwise Conv reading it, fused): its infer
// checks, its reference against the two Conv references run one after the other (bit for
// bit), and every fast variant this build and CPU runs (AVX2 and AVX-512 on x86-64, NEON
// under qemu-aarch64) against the reference on awkward sizes: 1 to 97 channels, outputs of
// 1x1 to 64 wide, odd sizes, strides 1 and 2 on each axis, asymmetric pads, several
// chunks of rows, batch 2, every epilogue on both parts, on 1 to 3 threads (then also bit
// for bit against the single-threaded run).
#include "conv_variant_check.hpp"

#include "edgert/kernels/registry.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace edgert::kernels::test {
namespace {

struct FusedCase {
  std::int64_t batch = 1, channels = 1, outChannels = 1, height = 1, width = 1;
  DepthwisePointwiseParams params;
};

std::string describe(const FusedCase& c) {
  const ConvParams& d = c.params.depthwise;
  const ConvParams& q = c.params.pointwise;
  return "X " + std::to_string(c.batch) + "x" + std::to_string(c.channels) + "x" + std::to_string(c.height) + "x" +
         std::to_string(c.width) + " OC " + std::to_string(c.outChannels) + " k " + std::to_string(d.kernel[0]) +
         " s " + std::to_string(d.stride[0]) + "," + std::to_string(d.stride[1]) + " pads " +
         std::to_string(d.padBegin[0]) + "," + std::to_string(d.padBegin[1]) + "," + std::to_string(d.padEnd[0]) +
         "," + std::to_string(d.padEnd[1]) + " dw bias " + std::to_string(d.hasBias) + " act " +
         std::to_string(static_cast<int>(d.activation.kind)) + ", pw bias " + std::to_string(q.hasBias) +
         " residual " + std::to_string(q.hasResidual) + " act " + std::to_string(static_cast<int>(q.activation.kind));
}

// X, Wd, Wp, Bd, Bp, residual (absent ones rank -1) and Y; false if infer rejects them.
bool fusedTypes(const FusedCase& c, std::vector<TensorType>& ins, TensorType& y) {
  const DepthwisePointwiseParams& p = c.params;
  ins = {f32({c.batch, c.channels, c.height, c.width}),
         f32({c.channels, 1, p.depthwise.kernel[0], p.depthwise.kernel[1]}),
         f32({c.outChannels, c.channels, 1, 1}),
         p.depthwise.hasBias ? f32({c.channels}) : absentType(),
         p.pointwise.hasBias ? f32({c.outChannels}) : absentType(),
         absentType()};
  DepthwisePointwiseParams noResidual = p;
  noResidual.pointwise.hasResidual = 0;
  if (const std::string e = inferError(OpCode::kDepthwisePointwise, &noResidual, ins, &y); e != "ok") {
    ADD_FAILURE() << e;
    return false;
  }
  if (p.pointwise.hasResidual) {
    ins[5] = y;
    if (inferError(OpCode::kDepthwisePointwise, &p, ins, &y) != "ok") return false;
  }
  return true;
}

FusedCase fusedCase(std::int64_t batch, std::int64_t c, std::int64_t oc, std::int64_t h, std::int64_t w, int k,
                    int strideH, int strideW, std::array<int, 4> pads, int epilogue) {
  FusedCase f{batch, c, oc, h, w, {}};
  f.params.depthwise = depthwiseParams(k, strideH, strideW, pads[0], pads[1], pads[2], pads[3],
                                       static_cast<std::int32_t>(c));
  f.params.depthwise.activation = activationNumber(epilogue + 4);
  f.params.depthwise.hasBias = static_cast<std::uint8_t>(epilogue % 2);
  f.params.pointwise = pointwiseParams();
  setEpilogue(f.params.pointwise, epilogue);
  return f;
}

std::vector<FusedCase> fusedCases() {
  std::vector<FusedCase> cases;
  int e = 0;
  const std::array<int, 4> same3{1, 1, 1, 1}, same5{2, 2, 2, 2}, tf3{0, 0, 1, 1}, none{0, 0, 0, 0};
  for (int k : {3, 5}) {
    const auto same = k == 3 ? same3 : same5;
    for (auto [sh, sw] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{1, 2}, std::pair{2, 1}}) {
      // Small and odd planes, 1 to 17 channels.
      cases.push_back(fusedCase(1, 1, 1, k, k, k, sh, sw, none, e++));
      cases.push_back(fusedCase(1, 3, 5, 7, 6, k, sh, sw, same, e++));
      cases.push_back(fusedCase(2, 5, 3, 9, 11, k, sh, sw, same, e++));
      cases.push_back(fusedCase(1, 17, 24, 13, 19, k, sh, sw, k == 3 ? tf3 : same, e++));
      // BlazeFace's block, and enough channels x width that a band is several chunks
      // (up to the widest the fast variants take: C x outW = 3072).
      cases.push_back(fusedCase(1, 24, 24, 17, 33, k, sh, sw, same, e++));
      cases.push_back(fusedCase(1, 48, 31, 21, sw == 1 ? 64 : 127, k, sh, sw, same, e++));
    }
  }
  // A 1x1 plane with pads (every tap but the centre in the padding), and 1-row outputs.
  cases.push_back(fusedCase(1, 4, 6, 1, 1, 3, 1, 1, same3, e++));
  cases.push_back(fusedCase(1, 8, 4, 1, 37, 3, 1, 1, same3, e++));
  cases.push_back(fusedCase(1, 8, 4, 2, 37, 5, 2, 2, same5, e++));
  // 97 channels (a prime past 96) on a plane 31 wide, 7 rows.
  cases.push_back(fusedCase(1, 97, 3, 7, 31, 3, 1, 1, same3, e++));
  return cases;
}

std::vector<const KernelVariant*> fastVariants() {
  std::vector<const KernelVariant*> out;
  for (const KernelVariant& v : allVariants()) {
    if (v.code == OpCode::kDepthwisePointwise && v.id != 0 && runsHere(v)) out.push_back(&v);
  }
  return out;
}

void checkCase(const KernelVariant& v, const FusedCase& c, unsigned seed, int threads) {
  SCOPED_TRACE(std::string(v.name) + ": " + describe(c));
  std::vector<TensorType> types;
  TensorType y;
  ASSERT_TRUE(fusedTypes(c, types, y)) << "infer rejects the case";
  DepthwisePointwiseParams plain = c.params;
  plain.depthwise.activation = {};
  plain.pointwise.activation = {};
  checkOpAgainstReference(v, OpCode::kDepthwisePointwise, &c.params, &plain, types, y, -1, seed, threads);
}

TEST(DepthwisePointwise, RegisteredOnePerIsaAllApplyingAlike) {
  int fast = 0;
  for (const KernelVariant& v : allVariants()) {
    if (v.code != OpCode::kDepthwisePointwise) continue;
    if (v.id == 0) {
      EXPECT_EQ(v.isa, Isa::kAny);
      continue;
    }
    ++fast;
    ASSERT_NE(v.applies, nullptr) << v.name;
    // A 3x3 depthwise part: for the fast kernels; 7x7 or dilated: not.
    FusedCase wide = fusedCase(1, 4, 4, 9, 9, 3, 1, 1, {1, 1, 1, 1}, 0);
    std::vector<TensorType> types;
    TensorType y;
    ASSERT_TRUE(fusedTypes(wide, types, y));
    EXPECT_TRUE(v.applies(&wide.params, types, std::span<const TensorType>(&y, 1))) << v.name;
    FusedCase seven = fusedCase(1, 4, 4, 9, 9, 3, 1, 1, {3, 3, 3, 3}, 0);
    seven.params.depthwise.kernel[0] = seven.params.depthwise.kernel[1] = 7;
    ASSERT_TRUE(fusedTypes(seven, types, y));
    EXPECT_FALSE(v.applies(&seven.params, types, std::span<const TensorType>(&y, 1))) << v.name;
    // Wider than four rows of every channel in a chunk: the two Convs stay apart.
    FusedCase broad = fusedCase(1, 48, 8, 9, 65, 3, 1, 1, {1, 1, 1, 1}, 0);
    ASSERT_TRUE(fusedTypes(broad, types, y));
    EXPECT_FALSE(v.applies(&broad.params, types, std::span<const TensorType>(&y, 1))) << v.name;
    FusedCase dilated = wide;
    dilated.params.depthwise.dilation[0] = 2;
    dilated.params.depthwise.padBegin[0] = dilated.params.depthwise.padEnd[0] = 2;
    ASSERT_TRUE(fusedTypes(dilated, types, y));
    EXPECT_FALSE(v.applies(&dilated.params, types, std::span<const TensorType>(&y, 1))) << v.name;
  }
  EXPECT_EQ(fast, 3);  // AVX2, NEON, AVX-512 (each built for its own architecture only)
}

TEST(DepthwisePointwise, InferNamesWhatIsWrong) {
  FusedCase c = fusedCase(1, 4, 6, 8, 8, 3, 1, 1, {1, 1, 1, 1}, 0);
  std::vector<TensorType> types;
  TensorType y;
  ASSERT_TRUE(fusedTypes(c, types, y));
  EXPECT_EQ(y.shape, Shape::of({1, 6, 8, 8}));
  auto bad = c.params;
  bad.pointwise.kernel[0] = bad.pointwise.kernel[1] = 3;
  EXPECT_NE(inferError(OpCode::kDepthwisePointwise, &bad, types).find("the pointwise part must be a 2-D 1x1 conv"),
            std::string::npos);
  bad = c.params;
  bad.depthwise.group = 2;
  EXPECT_EQ(inferError(OpCode::kDepthwisePointwise, &bad, types),
            "DepthwisePointwise: the depthwise group 2 is not X's 4 channels");
  bad = c.params;
  bad.depthwise.hasResidual = 1;
  EXPECT_NE(inferError(OpCode::kDepthwisePointwise, &bad, types).find("without a residual"), std::string::npos);
  auto wrongWp = types;
  wrongWp[2] = f32({6, 5, 1, 1});
  EXPECT_NE(inferError(OpCode::kDepthwisePointwise, &c.params, wrongWp).find("DepthwisePointwise, pointwise part: Conv: "),
            std::string::npos);
  auto noWp = types;
  noWp[2] = absentType();
  EXPECT_EQ(inferError(OpCode::kDepthwisePointwise, &c.params, noWp), "DepthwisePointwise: required input 2 is absent");
  auto multiplier = types;
  multiplier[1] = f32({8, 1, 3, 3});  // 2 outputs per channel
  EXPECT_EQ(inferError(OpCode::kDepthwisePointwise, &c.params, multiplier),
            "DepthwisePointwise: the depthwise part gives 8 channels from 4: a channel multiplier other than 1");
  auto wrongWd = types;
  wrongWd[1] = f32({4, 1, 3, 2});  // not the kernel's 3x3
  EXPECT_NE(inferError(OpCode::kDepthwisePointwise, &c.params, wrongWd).find("DepthwisePointwise, depthwise part: Conv: "),
            std::string::npos);
}

// The fused reference gives exactly what the two Conv references give, one after the other.
TEST(DepthwisePointwise, ReferenceIsTheTwoConvReferencesBitForBit) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const FusedCase& c : fusedCases()) {
    SCOPED_TRACE(describe(c));
    std::vector<TensorType> types;
    TensorType yType;
    ASSERT_TRUE(fusedTypes(c, types, yType));
    std::vector<std::vector<float>> data(types.size());
    std::vector<InTensor> ins(types.size());
    for (std::size_t i = 0; i < types.size(); ++i) {
      ins[i].type = types[i];
      if (types[i].shape.rank == kAbsentRank) continue;
      data[i].resize(static_cast<std::size_t>(types[i].shape.numel()));
      for (float& v : data[i]) v = dist(rng);
      ins[i].data = reinterpret_cast<const std::byte*>(data[i].data());
    }
    const KernelVariant* ref = findVariant(OpCode::kDepthwisePointwise, 0);
    ASSERT_NE(ref, nullptr);
    const std::uint64_t scratchBytes = ref->scratch(&c.params, types, std::span<const TensorType>(&yType, 1));
    std::vector<float> scratch(scratchBytes / sizeof(float) + 1);
    std::vector<float> fused(static_cast<std::size_t>(yType.shape.numel()));
    const OutTensor fusedOut{reinterpret_cast<std::byte*>(fused.data()), yType};
    runWithoutAllocating(*ref, KernelArgs{&c.params, ins, std::span<const OutTensor>(&fusedOut, 1),
                                          std::as_writable_bytes(std::span(scratch)).first(scratchBytes)});
    // The depthwise Conv into T, then the pointwise Conv.
    TensorType tType;
    ASSERT_EQ(inferError(OpCode::kConv, &c.params.depthwise, {types[0], types[1], types[3]}, &tType), "ok");
    std::vector<float> t(static_cast<std::size_t>(tType.shape.numel()));
    const InTensor depthwiseIn[] = {ins[0], ins[1], ins[3]};
    runReference(OpCode::kConv, &c.params.depthwise, depthwiseIn,
                 OutTensor{reinterpret_cast<std::byte*>(t.data()), tType});
    const InTensor pointwiseIn[] = {InTensor{reinterpret_cast<const std::byte*>(t.data()), tType}, ins[2], ins[4],
                                    ins[5]};
    std::vector<float> twoConvs(fused.size());
    runReference(OpCode::kConv, &c.params.pointwise, pointwiseIn,
                 OutTensor{reinterpret_cast<std::byte*>(twoConvs.data()), yType});
    ASSERT_EQ(std::memcmp(fused.data(), twoConvs.data(), fused.size() * sizeof(float)), 0);
  }
}

TEST(DepthwisePointwise, FastVariantsMatchTheReference) {
  const auto variants = fastVariants();
  if (variants.empty()) GTEST_SKIP() << "no DepthwisePointwise fast variant runs on this CPU";
  for (const KernelVariant* v : variants) {
    unsigned seed = 1;
    for (const FusedCase& c : fusedCases()) checkCase(*v, c, seed++, 0);
  }
}

TEST(DepthwisePointwise, FastVariantsOnThreadsMatchTheReferenceAndOneThread) {
  const auto variants = fastVariants();
  if (variants.empty()) GTEST_SKIP() << "no DepthwisePointwise fast variant runs on this CPU";
  for (const KernelVariant* v : variants) {
    unsigned seed = 100;
    for (const FusedCase& c : fusedCases()) {
      for (int threads : {2, 3}) checkCase(*v, c, seed++, threads);
    }
  }
}

}  // namespace
}  // namespace edgert::kernels::test
