// The AVX2 + FMA Conv variants (kernels/src/x86/) against the reference kernel on random
// data: awkward sizes, every stride and pad combination they claim, every epilogue, Y on
// the residual, and where they apply. Skipped, with the reason, on a CPU without AVX2+FMA.
#include "../conv_variant_check.hpp"

#include "edgert/kernels/cpu_features.hpp"

namespace edgert::kernels::test {
namespace {

const KernelVariant& variant(std::uint16_t id) {
  const KernelVariant* v = findVariant(OpCode::kConv, id);
  EXPECT_NE(v, nullptr);
  return *v;
}

bool cpuHasAvx2() { return cpuFeatures().avx2 && cpuFeatures().fma; }

#define EDGERT_NEEDS_AVX2()                                                          \
  if (!cpuHasAvx2()) GTEST_SKIP() << "this CPU lacks AVX2+FMA (" << describe(cpuFeatures()) \
                                  << "): the AVX2 kernels cannot run here"

TEST(ConvAvx2, RegisteredWithTheirIsaAndPredicates) {
  const KernelVariant& pw = variant(1);
  const KernelVariant& dw = variant(2);
  EXPECT_EQ(pw.name, "avx2-pointwise");
  EXPECT_EQ(dw.name, "avx2-depthwise");
  EXPECT_EQ(pw.isa, Isa::kAvx2);
  EXPECT_EQ(dw.isa, Isa::kAvx2);
  EXPECT_NE(pw.run, nullptr);
  EXPECT_NE(dw.run, nullptr);
  EXPECT_NE(pw.applies, nullptr);
  EXPECT_NE(dw.applies, nullptr);
  EXPECT_NE(dw.scratch, nullptr);
}

TEST(ConvAvx2, PointwiseAppliesTo1x1Only) { checkPointwiseApplies(variant(1)); }
TEST(ConvAvx2, DepthwiseAppliesTo3x3And5x5DepthwiseOnly) { checkDepthwiseApplies(variant(2)); }

TEST(ConvAvx2, PointwiseMatchesReference) {
  EDGERT_NEEDS_AVX2();
  unsigned seed = 1;
  for (const ConvCase& c : pointwiseCases()) checkAgainstReference(variant(1), c, seed++);
}

TEST(ConvAvx2, DepthwiseMatchesReference) {
  EDGERT_NEEDS_AVX2();
  unsigned seed = 1000;
  for (const ConvCase& c : depthwiseCases()) checkAgainstReference(variant(2), c, seed++);
}

TEST(ConvAvx2, BlazeFaceShapesMatchReference) {
  EDGERT_NEEDS_AVX2();
  ConvCase pw{1, 24, 28, 64, 64, pointwiseParams()};
  pw.params.hasBias = pw.params.hasResidual = 1;
  pw.params.activation = activationNumber(1);
  checkAgainstReference(variant(1), pw, 7);
  checkAgainstReference(variant(2), ConvCase{1, 24, 24, 64, 64, depthwiseParams(5, 1, 1, 2, 2, 2, 2, 24)}, 8);
  checkAgainstReference(variant(2), ConvCase{1, 28, 28, 64, 64, depthwiseParams(5, 2, 2, 1, 1, 2, 2, 28)}, 9);
}

}  // namespace
}  // namespace edgert::kernels::test
