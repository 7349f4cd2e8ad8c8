#include "edgert/kernels/cpu_features.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace edgert::kernels {
namespace {

TEST(CpuFeatures, DetectionMatchesTheCompiledIsa) {
  const CpuFeatures& f = cpuFeatures();
  const std::string_view arch = compiledArch();
  if (arch == "aarch64") {
    // Advanced SIMD is mandatory on AArch64 Linux (and qemu-aarch64's default CPU has it).
    EXPECT_TRUE(f.neon);
    EXPECT_FALSE(f.avx2 || f.fma || f.avx512f);
  } else if (arch == "x86_64") {
    EXPECT_FALSE(f.neon || f.neonFp16 || f.neonDotprod);
    // AVX-512 implies AVX2-class hardware: no CPU has one without the other.
    if (f.avx512f) {
      EXPECT_TRUE(f.avx2 && f.fma);
    }
  } else {
    FAIL() << "unexpected compiled architecture " << arch;
  }
}

TEST(CpuFeatures, DetectionIsCachedAndStable) {
  EXPECT_EQ(&cpuFeatures(), &cpuFeatures());
}

TEST(CpuFeatures, DescribeListsPresentFeaturesInOrder) {
  CpuFeatures f;
  EXPECT_EQ(describe(f), "none");
  f.fma = true;
  f.avx2 = true;
  EXPECT_EQ(describe(f), "avx2 fma");
  CpuFeatures n;
  n.neon = true;
  n.neonDotprod = true;
  EXPECT_EQ(describe(n), "neon neon-dotprod");
}

}  // namespace
}  // namespace edgert::kernels
