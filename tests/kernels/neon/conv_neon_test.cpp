// The NEON Conv and ConvTranspose variants (kernels/src/neon/) against the reference
// kernels on random data: awkward sizes, every stride and pad combination they claim,
// every epilogue, Y on the residual, and where they apply. Built in aarch64 builds only
// (run under qemu-aarch64 on an x86-64 host); Advanced SIMD is part of every AArch64 Linux
// CPU.
#include "../conv_variant_check.hpp"

#include "edgert/kernels/cpu_features.hpp"

namespace edgert::kernels::test {
namespace {

const KernelVariant& variant(std::uint16_t id, OpCode op = OpCode::kConv) {
  const KernelVariant* v = findVariant(op, id);
  EXPECT_NE(v, nullptr);
  return *v;
}

const KernelVariant& upsample() { return variant(2, OpCode::kConvTranspose); }

#define EDGERT_NEEDS_NEON() \
  if (!cpuFeatures().neon) GTEST_SKIP() << "this CPU reports no Advanced SIMD (asimd)"

TEST(ConvNeon, RegisteredWithTheirIsaAndPredicates) {
  const KernelVariant& gen = variant(6);
  const KernelVariant& pw = variant(3);
  const KernelVariant& dw = variant(4);
  EXPECT_EQ(gen.name, "neon-general");
  EXPECT_EQ(pw.name, "neon-pointwise");
  EXPECT_EQ(dw.name, "neon-depthwise");
  EXPECT_EQ(gen.isa, Isa::kNeon);
  EXPECT_NE(gen.run, nullptr);
  EXPECT_NE(gen.applies, nullptr);
  EXPECT_NE(gen.scratch, nullptr);
  EXPECT_EQ(upsample().name, "neon-upsample");
  EXPECT_EQ(upsample().isa, Isa::kNeon);
  EXPECT_NE(upsample().run, nullptr);
  EXPECT_NE(upsample().applies, nullptr);
  EXPECT_NE(upsample().scratch, nullptr);
  EXPECT_EQ(pw.isa, Isa::kNeon);
  EXPECT_EQ(dw.isa, Isa::kNeon);
  EXPECT_NE(pw.run, nullptr);
  EXPECT_NE(dw.run, nullptr);
  EXPECT_NE(pw.applies, nullptr);
  EXPECT_NE(dw.applies, nullptr);
  EXPECT_NE(dw.scratch, nullptr);
}

TEST(ConvNeon, GeneralAppliesToGroup1AndGroupsOfSeveralOutputs) { checkGeneralApplies(variant(6)); }
TEST(ConvNeon, UpsampleAppliesToConvTransposeWithStrideEqualToKernel) { checkUpsampleApplies(upsample()); }
TEST(ConvNeon, PointwiseAppliesTo1x1Only) { checkPointwiseApplies(variant(3)); }
TEST(ConvNeon, DepthwiseAppliesTo3x3And5x5DepthwiseOnly) { checkDepthwiseApplies(variant(4)); }

TEST(ConvNeon, GeneralMatchesReference) {
  EDGERT_NEEDS_NEON();
  unsigned seed = 2000;
  for (const ConvCase& c : generalCases()) checkAgainstReference(variant(6), c, seed++);
}

TEST(ConvNeon, UpsampleMatchesReference) {
  EDGERT_NEEDS_NEON();
  unsigned seed = 3000;
  for (const ConvTransposeCase& c : upsampleCases()) checkAgainstReference(upsample(), c, seed++);
}

TEST(ConvNeon, PointwiseMatchesReference) {
  EDGERT_NEEDS_NEON();
  unsigned seed = 1;
  for (const ConvCase& c : pointwiseCases()) checkAgainstReference(variant(3), c, seed++);
}

TEST(ConvNeon, DepthwiseMatchesReference) {
  EDGERT_NEEDS_NEON();
  unsigned seed = 1000;
  for (const ConvCase& c : depthwiseCases()) checkAgainstReference(variant(4), c, seed++);
}

TEST(ConvNeon, BlazeFaceShapesMatchReference) {
  EDGERT_NEEDS_NEON();
  ConvCase pw{1, 24, 28, 64, 64, pointwiseParams()};
  pw.params.hasBias = pw.params.hasResidual = 1;
  pw.params.activation = activationNumber(1);
  checkAgainstReference(variant(3), pw, 7);
  checkAgainstReference(variant(4), ConvCase{1, 24, 24, 64, 64, depthwiseParams(5, 1, 1, 2, 2, 2, 2, 24)}, 8);
  checkAgainstReference(variant(4), ConvCase{1, 28, 28, 64, 64, depthwiseParams(5, 2, 2, 1, 1, 2, 2, 28)}, 9);
  // The first conv: 3 -> 24 channels, 5x5, stride 2, TensorFlow "same" pads, Relu.
  ConvCase first{1, 3, 24, 128, 128, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)};
  first.params.hasBias = 1;
  first.params.activation = activationNumber(1);
  checkAgainstReference(variant(6), first, 10);
}

TEST(ConvNeon, PpOcrShapesMatchReference) {
  EDGERT_NEEDS_NEON();
  // The first conv (3 -> 16, 3x3, stride 2; 640x640 cut to 64x64 here) and a neck conv
  // (96 -> 24, 3x3) with bias and Relu at 40x40.
  ConvCase first{1, 3, 16, 64, 64, generalParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1)};
  first.params.hasBias = 1;
  checkAgainstReference(variant(6), first, 11);
  ConvCase neck{1, 96, 24, 40, 40, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  neck.params.hasBias = 1;
  neck.params.activation = activationNumber(1);
  checkAgainstReference(variant(6), neck, 12);
  // The head's upsampling: 24 -> 24 and 24 -> 1, 2x2, stride 2 (80x80 cut to 20x20 here).
  ConvTransposeCase up{1, 24, 24, 20, 20, upsampleParams(2, 2, 0, 0, 0, 0)};
  up.params.hasBias = 1;
  checkAgainstReference(upsample(), up, 13);
  up.outChannels = 1;
  checkAgainstReference(upsample(), up, 14);
}

// On the worker pool: every case at 1, 2, 3 and 4 threads, split as finely as each variant
// allows, against the reference and bit for bit against the single-threaded run.
TEST(ConvNeon, GeneralOnThreadsMatchesReference) {
  EDGERT_NEEDS_NEON();
  checkOnThreads(variant(6), generalCases(), 6000);
}

TEST(ConvNeon, UpsampleOnThreadsMatchesReference) {
  EDGERT_NEEDS_NEON();
  checkOnThreads(upsample(), upsampleCases(), 7000);
}

TEST(ConvNeon, PointwiseOnThreadsMatchesReference) {
  EDGERT_NEEDS_NEON();
  checkOnThreads(variant(3), pointwiseCases(), 4000);
}

TEST(ConvNeon, DepthwiseOnThreadsMatchesReference) {
  EDGERT_NEEDS_NEON();
  checkOnThreads(variant(4), depthwiseCases(), 5000);
}

// The models' shapes where the split changes: many strips (split over pixels), one strip
// and many output channels (split over channels: BlazeFace's 8x8 and 16x16 layers).
TEST(ConvNeon, ModelShapesOnThreadsMatchReference) {
  EDGERT_NEEDS_NEON();
  ConvCase deep{1, 96, 96, 8, 8, pointwiseParams()};
  deep.params.hasBias = deep.params.hasResidual = 1;
  deep.params.activation = activationNumber(1);
  ConvCase wide{1, 24, 28, 64, 64, pointwiseParams()};
  wide.params.hasBias = 1;
  ConvCase first{1, 3, 24, 128, 128, generalParams(5, 5, 2, 2, 1, 1, 1, 1, 2, 2)};
  first.params.hasBias = 1;
  ConvCase neck{1, 96, 100, 5, 5, generalParams(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  neck.params.hasBias = neck.params.hasResidual = 1;
  ConvTransposeCase up{1, 24, 24, 20, 20, upsampleParams(2, 2, 0, 0, 0, 0)};
  up.params.hasBias = 1;
  for (int threads : {2, 3}) {
    checkAgainstReference(variant(3), deep, 20, threads);
    checkAgainstReference(variant(3), wide, 21, threads);
    checkAgainstReference(variant(4), ConvCase{1, 24, 24, 64, 64, depthwiseParams(5, 1, 1, 2, 2, 2, 2, 24)}, 22,
                          threads);
    checkAgainstReference(variant(4), ConvCase{1, 96, 96, 8, 8, depthwiseParams(3, 2, 2, 0, 0, 1, 1, 96)}, 23,
                          threads);
    checkAgainstReference(variant(6), first, 24, threads);
    checkAgainstReference(variant(6), neck, 25, threads);
    checkAgainstReference(upsample(), up, 26, threads);
  }
}

}  // namespace
}  // namespace edgert::kernels::test
