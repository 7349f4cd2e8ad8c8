// The NEON Conv variants (kernels/src/neon/) against the reference kernel on random data:
// awkward sizes, every stride and pad combination they claim, every epilogue, Y on the
// residual, and where they apply. Built in aarch64 builds only (run under qemu-aarch64 on
// an x86-64 host); Advanced SIMD is part of every AArch64 Linux CPU.
#include "../conv_variant_check.hpp"

#include "edgert/kernels/cpu_features.hpp"

namespace edgert::kernels::test {
namespace {

const KernelVariant& variant(std::uint16_t id) {
  const KernelVariant* v = findVariant(OpCode::kConv, id);
  EXPECT_NE(v, nullptr);
  return *v;
}

#define EDGERT_NEEDS_NEON() \
  if (!cpuFeatures().neon) GTEST_SKIP() << "this CPU reports no Advanced SIMD (asimd)"

TEST(ConvNeon, RegisteredWithTheirIsaAndPredicates) {
  const KernelVariant& pw = variant(3);
  const KernelVariant& dw = variant(4);
  EXPECT_EQ(pw.name, "neon-pointwise");
  EXPECT_EQ(dw.name, "neon-depthwise");
  EXPECT_EQ(pw.isa, Isa::kNeon);
  EXPECT_EQ(dw.isa, Isa::kNeon);
  EXPECT_NE(pw.run, nullptr);
  EXPECT_NE(dw.run, nullptr);
  EXPECT_NE(pw.applies, nullptr);
  EXPECT_NE(dw.applies, nullptr);
  EXPECT_NE(dw.scratch, nullptr);
}

TEST(ConvNeon, PointwiseAppliesTo1x1Only) { checkPointwiseApplies(variant(3)); }
TEST(ConvNeon, DepthwiseAppliesTo3x3And5x5DepthwiseOnly) { checkDepthwiseApplies(variant(4)); }

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
}

}  // namespace
}  // namespace edgert::kernels::test
