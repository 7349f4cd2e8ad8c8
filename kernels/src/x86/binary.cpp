// Binary, AVX2 variant: the row loops of binary_rows.hpp on 8 floats at a time, the
// activation as the Conv epilogue computes it (epilogue_avx2.hpp).
#include "../binary_rows.hpp"
#include "epilogue_avx2.hpp"

#include <immintrin.h>

namespace edgert::kernels::elementwise::x86 {
namespace {

struct Avx2Vec {
  using Vec = __m256;
  static constexpr std::int64_t kWidth = 8;
  static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
  static __m256 splat(float x) { return _mm256_set1_ps(x); }
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
  static __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
  static __m256 div(__m256 a, __m256 b) { return _mm256_div_ps(a, b); }
  static __m256 activate(const ActivationParams& p, __m256 v) { return conv::x86::activate(p, v); }
};

}  // namespace

void runBinary(const KernelArgs& args) { runBinaryWith<Avx2Vec>(args); }

}  // namespace edgert::kernels::elementwise::x86
