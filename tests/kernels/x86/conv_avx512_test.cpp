// The AVX-512 Conv and ConvTranspose variants (kernels/src/x86/*_avx512.cpp) against the
// reference kernels on random data: the same awkward sizes, strides, pads and epilogues as
// the AVX2 variants (pixel tails of every length mod 16 and 32 among them), Y on the
// residual, 1 to 4 threads, and the models' shapes; the direct variant on its own cases
// (one to four input channels). The general variant also runs the
// pointwise cases (it applies to 1x1 convs, though the compiler prefers avx512-pointwise).
// Skipped, with the reason, on a CPU without AVX-512 F, BW and VL.
#include "../conv_variant_check.hpp"

#include "edgert/kernels/cpu_features.hpp"

namespace edgert::kernels::test {
namespace {

const KernelVariant& variant(std::uint16_t id, OpCode op = OpCode::kConv) {
  const KernelVariant* v = findVariant(op, id);
  EXPECT_NE(v, nullptr);
  return *v;
}

const KernelVariant& general() { return variant(7); }
const KernelVariant& depthwise() { return variant(8); }
const KernelVariant& pointwise() { return variant(9); }
const KernelVariant& direct() { return variant(10); }
const KernelVariant& upsample() { return variant(3, OpCode::kConvTranspose); }

bool cpuHasAvx512() {
  const CpuFeatures& f = cpuFeatures();
  return f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl;
}

#define EDGERT_NEEDS_AVX512()                                                                   \
  if (!cpuHasAvx512()) GTEST_SKIP() << "this CPU lacks AVX-512 F/BW/VL (" << describe(cpuFeatures()) \
                                    << "): the AVX-512 kernels cannot run here"

TEST(ConvAvx512, RegisteredWithTheirIsaAndPredicates) {
  EXPECT_EQ(general().name, "avx512-general");
  EXPECT_EQ(depthwise().name, "avx512-depthwise");
  EXPECT_EQ(pointwise().name, "avx512-pointwise");
  EXPECT_EQ(upsample().name, "avx512-upsample");
  EXPECT_EQ(direct().name, "avx512-direct");
  // Pointwise and depthwise read X in place: no scratch. Direct does too, with its block's
  // weights repacked in scratch.
  for (const KernelVariant* v : {&pointwise(), &depthwise()}) {
    EXPECT_EQ(v->isa, Isa::kAvx512) << v->name;
    EXPECT_NE(v->run, nullptr) << v->name;
    EXPECT_NE(v->applies, nullptr) << v->name;
    EXPECT_EQ(v->scratch, nullptr) << v->name;
  }
  for (const KernelVariant* v : {&general(), &upsample(), &direct()}) {
    EXPECT_EQ(v->isa, Isa::kAvx512) << v->name;
    EXPECT_NE(v->run, nullptr) << v->name;
    EXPECT_NE(v->applies, nullptr) << v->name;
    EXPECT_NE(v->scratch, nullptr) << v->name;
  }
  // A first conv over at most 4 channels asks for none: images compiled before the direct
  // variant took wider 3x3 convs planned no scratch for it, and must still load.
  ConvCase stem{1, 3, 24, 128, 128, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)};
  std::vector<TensorType> types;
  TensorType y;
  ASSERT_TRUE(convTypes(stem, types, y));
  EXPECT_EQ(direct().scratch(&stem.params, types, std::span<const TensorType>(&y, 1)), 0u);
  ConvCase neck{1, 96, 24, 20, 20, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  ASSERT_TRUE(convTypes(neck, types, y));
  EXPECT_EQ(direct().scratch(&neck.params, types, std::span<const TensorType>(&y, 1)), 12u * 96 * 9 * 4);
}

TEST(ConvAvx512, GeneralAppliesToGroup1AndGroupsOfSeveralOutputs) { checkGeneralApplies(general()); }
TEST(ConvAvx512, UpsampleAppliesToConvTransposeWithStrideEqualToKernel) { checkUpsampleApplies(upsample()); }
TEST(ConvAvx512, PointwiseAppliesTo1x1Only) { checkPointwiseApplies(pointwise()); }
TEST(ConvAvx512, DepthwiseAppliesTo3x3And5x5DepthwiseOnly) { checkDepthwiseApplies(depthwise()); }
TEST(ConvAvx512, DirectAppliesToFewInputChannelsOnly) { checkDirectApplies(direct()); }

TEST(ConvAvx512, DirectMatchesReference) {
  EDGERT_NEEDS_AVX512();
  unsigned seed = 21000;
  for (const ConvCase& c : directCases()) checkAgainstReference(direct(), c, seed++);
}

TEST(ConvAvx512, DirectOnThreadsMatchesReference) {
  EDGERT_NEEDS_AVX512();
  checkOnThreads(direct(), directCases(), 22000);
}

TEST(ConvAvx512, GeneralMatchesReference) {
  EDGERT_NEEDS_AVX512();
  unsigned seed = 12000;
  for (const ConvCase& c : generalCases()) checkAgainstReference(general(), c, seed++);
}

TEST(ConvAvx512, GeneralOnPointwiseCasesMatchesReference) {
  EDGERT_NEEDS_AVX512();
  unsigned seed = 11000;
  for (const ConvCase& c : pointwiseCases()) checkAgainstReference(general(), c, seed++);
}

TEST(ConvAvx512, PointwiseMatchesReference) {
  EDGERT_NEEDS_AVX512();
  unsigned seed = 19000;
  for (const ConvCase& c : pointwiseCases()) checkAgainstReference(pointwise(), c, seed++);
}

TEST(ConvAvx512, UpsampleMatchesReference) {
  EDGERT_NEEDS_AVX512();
  unsigned seed = 13000;
  for (const ConvTransposeCase& c : upsampleCases()) checkAgainstReference(upsample(), c, seed++);
}

TEST(ConvAvx512, DepthwiseMatchesReference) {
  EDGERT_NEEDS_AVX512();
  unsigned seed = 14000;
  for (const ConvCase& c : depthwiseCases()) checkAgainstReference(depthwise(), c, seed++);
}

TEST(ConvAvx512, ModelShapesMatchReference) {
  EDGERT_NEEDS_AVX512();
  ConvCase pw{1, 24, 28, 64, 64, pointwiseParams()};
  pw.params.hasBias = pw.params.hasResidual = 1;
  pw.params.activation = activationNumber(1);
  checkAgainstReference(general(), pw, 7);
  checkAgainstReference(pointwise(), pw, 7);
  checkAgainstReference(depthwise(), ConvCase{1, 24, 24, 64, 64, depthwiseParams(5, 1, 1, 2, 2, 2, 2, 24)}, 8);
  checkAgainstReference(depthwise(), ConvCase{1, 28, 28, 64, 64, depthwiseParams(5, 2, 2, 1, 1, 2, 2, 28)}, 9);
  ConvCase first{1, 3, 24, 128, 128, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)};
  first.params.hasBias = 1;
  first.params.activation = activationNumber(1);
  checkAgainstReference(general(), first, 10);
  ConvCase neck{1, 96, 24, 40, 40, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  neck.params.hasBias = 1;
  neck.params.activation = activationNumber(1);
  checkAgainstReference(general(), neck, 12);
  ConvTransposeCase up{1, 24, 24, 20, 20, upsampleParams(2, 2, 0, 0, 0, 0)};
  up.params.hasBias = 1;
  checkAgainstReference(upsample(), up, 13);
  up.outChannels = 1;
  checkAgainstReference(upsample(), up, 14);
}

TEST(ConvAvx512, GeneralOnThreadsMatchesReference) {
  EDGERT_NEEDS_AVX512();
  checkOnThreads(general(), generalCases(), 16000);
  checkOnThreads(general(), pointwiseCases(), 15000);
}

TEST(ConvAvx512, PointwiseOnThreadsMatchesReference) {
  EDGERT_NEEDS_AVX512();
  checkOnThreads(pointwise(), pointwiseCases(), 19500);
}

TEST(ConvAvx512, UpsampleOnThreadsMatchesReference) {
  EDGERT_NEEDS_AVX512();
  checkOnThreads(upsample(), upsampleCases(), 17000);
}

TEST(ConvAvx512, DepthwiseOnThreadsMatchesReference) {
  EDGERT_NEEDS_AVX512();
  checkOnThreads(depthwise(), depthwiseCases(), 18000);
}

TEST(ConvAvx512, ModelShapesOnThreadsMatchReference) {
  EDGERT_NEEDS_AVX512();
  ConvCase deep{1, 96, 96, 8, 8, pointwiseParams()};
  deep.params.hasBias = deep.params.hasResidual = 1;
  deep.params.activation = activationNumber(1);
  ConvCase first{1, 3, 24, 128, 128, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)};
  first.params.hasBias = 1;
  for (int threads : {2, 3}) {
    checkAgainstReference(general(), deep, 20, threads);
    checkAgainstReference(pointwise(), deep, 21, threads);
    checkAgainstReference(general(), first, 24, threads);
    checkAgainstReference(depthwise(), ConvCase{1, 96, 96, 8, 8, depthwiseParams(3, 2, 2, 0, 0, 1, 1, 96)}, 23,
                          threads);
  }
}

}  // namespace
}  // namespace edgert::kernels::test
