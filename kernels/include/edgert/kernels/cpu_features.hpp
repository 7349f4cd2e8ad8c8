// What the CPU this process runs on can do, detected once at start-up. The kernel
// registry uses it to pick a variant per op (reference, AVX2, AVX-512, NEON); `edgert
// version` prints it.
#pragma once

#include <string>

namespace edgert::kernels {

struct CpuFeatures {
  // x86-64
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  // AArch64
  bool neon = false;         // Advanced SIMD (always present on AArch64 Linux)
  bool neonFp16 = false;     // FP16 arithmetic (ARMv8.2 asimdhp: Orin, not Nano)
  bool neonDotprod = false;  // SDOT/UDOT (ARMv8.2 asimddp)
};

// The ISA this binary was compiled for: "x86_64", "aarch64" or "unknown".
const char* compiledArch();

// Detected on first call (cpuid on x86-64, getauxval(AT_HWCAP) on AArch64), then cached.
const CpuFeatures& cpuFeatures();

// Space-separated names of the features present, e.g. "avx2 fma avx512f", or "none".
std::string describe(const CpuFeatures& features);

}  // namespace edgert::kernels
