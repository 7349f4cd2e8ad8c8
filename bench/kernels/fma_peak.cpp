// The core's float32 peak: independent chains of fused multiply-adds in registers, nothing
// loaded or stored, at the widest vector each instruction set has (AVX-512, AVX2 + FMA,
// NEON). A model's GFLOP/s divided by this is the fraction of peak bench/compare-ort.sh
// reports. One thread; run it pinned (taskset) to the CPU the 1-thread benchmarks use.
//
//   build/host/bench/fma_peak [--json]
//
// Prints GFLOP/s per instruction set this CPU runs, best of 5 runs of ~0.1 s each; the
// first line of --json output is {"peak_gflops": best, "isa": name, ...}.
#include "edgert/kernels/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

// 12 chains: enough to cover a 4-cycle FMA latency on two pipes with room to spare.
constexpr int kChains = 12;

// Each function runs `iters` rounds of kChains FMAs and returns the seconds taken; the
// result is folded into `sink` so the compiler keeps the loop.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) double runAvx512(long iters, float& sink) {
  __m512 a[kChains];
  for (int i = 0; i < kChains; ++i) a[i] = _mm512_set1_ps(1.0f + static_cast<float>(i) * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.9999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  const auto t0 = Clock::now();
  for (long k = 0; k < iters; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) a[i] = _mm512_fmadd_ps(a[i], m, b);
  }
  const auto t1 = Clock::now();
  float lanes[16];
  for (int i = 0; i < kChains; ++i) {
    _mm512_storeu_ps(lanes, a[i]);
    for (float f : lanes) sink += f;
  }
  return std::chrono::duration<double>(t1 - t0).count();
}

__attribute__((target("avx2,fma"))) double runAvx2(long iters, float& sink) {
  __m256 a[kChains];
  for (int i = 0; i < kChains; ++i) a[i] = _mm256_set1_ps(1.0f + static_cast<float>(i) * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.9999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  const auto t0 = Clock::now();
  for (long k = 0; k < iters; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) a[i] = _mm256_fmadd_ps(a[i], m, b);
  }
  const auto t1 = Clock::now();
  float lanes[8];
  for (int i = 0; i < kChains; ++i) {
    _mm256_storeu_ps(lanes, a[i]);
    for (float f : lanes) sink += f;
  }
  return std::chrono::duration<double>(t1 - t0).count();
}
#elif defined(__aarch64__)
double runNeon(long iters, float& sink) {
  float32x4_t a[kChains];
  for (int i = 0; i < kChains; ++i) a[i] = vdupq_n_f32(1.0f + static_cast<float>(i) * 1e-3f);
  const float32x4_t m = vdupq_n_f32(0.9999999f);
  const float32x4_t b = vdupq_n_f32(1e-7f);
  const auto t0 = Clock::now();
  for (long k = 0; k < iters; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) a[i] = vfmaq_f32(b, a[i], m);
  }
  const auto t1 = Clock::now();
  for (int i = 0; i < kChains; ++i) sink += vaddvq_f32(a[i]);
  return std::chrono::duration<double>(t1 - t0).count();
}
#endif

struct Isa {
  const char* name;
  int lanes;
  double (*run)(long, float&);
};

// GFLOP/s: the best of 5 runs, each about 0.1 s (iterations scaled from a short probe).
double measure(const Isa& isa, float& sink) {
  long iters = 100'000;
  const double probe = isa.run(iters, sink);
  iters = std::max<long>(iters, static_cast<long>(static_cast<double>(iters) * 0.1 / std::max(probe, 1e-6)));
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const double s = isa.run(iters, sink);
    best = std::max(best, 2.0 * isa.lanes * kChains * static_cast<double>(iters) / s / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  using edgert::kernels::isaAvailable;
  using IsaId = edgert::kernels::Isa;
  std::vector<Isa> isas;
#if defined(__x86_64__)
  if (isaAvailable(IsaId::kAvx512)) isas.push_back({"avx512", 16, runAvx512});
  if (isaAvailable(IsaId::kAvx2)) isas.push_back({"avx2", 8, runAvx2});
#elif defined(__aarch64__)
  if (isaAvailable(IsaId::kNeon)) isas.push_back({"neon", 4, runNeon});
#endif
  if (isas.empty()) {
    std::fprintf(stderr, "fma_peak: this CPU has none of the vector FMA instruction sets edgert uses\n");
    return 1;
  }
  float sink = 0;
  std::string fields;
  double peak = 0;
  const char* peakIsa = "";
  for (const Isa& isa : isas) {
    const double g = measure(isa, sink);
    if (g > peak) {
      peak = g;
      peakIsa = isa.name;
    }
    if (json) {
      fields += std::string(", \"") + isa.name + "_gflops\": " + std::to_string(g);
    } else {
      std::printf("%-7s %8.1f GFLOP/s (%d lanes x %d chains of FMA, one thread)\n", isa.name, g, isa.lanes, kChains);
    }
  }
  if (json) std::printf("{\"peak_gflops\": %.1f, \"isa\": \"%s\"%s}\n", peak, peakIsa, fields.c_str());
  return sink == 12345.0f ? 2 : 0;  // keeps the sums alive
}
