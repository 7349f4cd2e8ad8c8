// Softmax and LogSoftmax along the last axis, the fast variants: each row in W float lanes
// (GCC vector extensions, compiled once per ISA: x86/softmax.cpp AVX2 W = 8,
// x86/softmax_avx512.cpp W = 16, neon/softmax.cpp W = 4). Per row: the max in lanes; exp(x -
// max) by range reduction to r in [-ln2/2, ln2/2] and a degree-6 polynomial (Cephes'
// expf coefficients, about 1 ulp), times 2^n built in the exponent bits; the sum in double
// lanes, added up in a fixed order; then Y = e / sum, or X - max - log(sum). Rows are split
// over the pool; a row's result does not depend on which worker computes it.
//
// Compared with the reference (double throughout): softmax within 4e-7 relative, log-softmax
// within 1e-6 absolute. Arguments below -87.3 give exp 1.2e-38 instead of a subnormal or 0
// (the row's maximum contributes 1 to the sum, so the difference is below float precision);
// NaN in a row makes the row NaN, as in the reference.
//
// Everything here is in an unnamed namespace: each ISA's file compiles its own copy with
// its own flags, and no inline function is shared between them.
#pragma once

#include "edgert/kernels/ops.hpp"
#include "edgert/kernels/parallel.hpp"
#include "edgert/kernels/registry.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace edgert::kernels::softmax {

// Softmax and LogSoftmax along the last axis (the fast variants' `applies`).
bool lastAxisApplies(const void* params, std::span<const TensorType> inputs, std::span<const TensorType> outputs);

namespace x86 {
void runSoftmax(const KernelArgs& args);
void runLogSoftmax(const KernelArgs& args);
void runSoftmaxAvx512(const KernelArgs& args);
void runLogSoftmaxAvx512(const KernelArgs& args);
}  // namespace x86
namespace neon {
void runSoftmax(const KernelArgs& args);
void runLogSoftmax(const KernelArgs& args);
}  // namespace neon

namespace {

// GCC applies vector_size only to non-dependent types: one specialization per width.
template <int W>
struct VectorTypes;
#define EDGERT_VECTOR_TYPES(W)                                          \
  template <>                                                           \
  struct VectorTypes<W> {                                               \
    typedef float F __attribute__((vector_size(W * sizeof(float))));    \
    typedef std::int32_t I __attribute__((vector_size(W * 4)));         \
    typedef std::uint32_t U __attribute__((vector_size(W * 4)));        \
    typedef double D __attribute__((vector_size(W * sizeof(double))));  \
  }
EDGERT_VECTOR_TYPES(4);
EDGERT_VECTOR_TYPES(8);
EDGERT_VECTOR_TYPES(16);
#undef EDGERT_VECTOR_TYPES

template <int W>
struct Lanes {
  using F = typename VectorTypes<W>::F;
  using I = typename VectorTypes<W>::I;
  using U = typename VectorTypes<W>::U;
  using D = typename VectorTypes<W>::D;

  static F load(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(float* p, const F& v) { std::memcpy(p, &v, sizeof v); }
  static F splat(float c) { return F{} + c; }

  // exp(x), lane by lane (see the file comment).
  // Vector arguments by reference: a vector wider than the ISA's registers passed by value
  // has an ABI compilers warn about (-Wpsabi); inlined, it costs nothing.
  static F exp(const F& in) {
    F x = in > 88.3762626647949f ? splat(88.3762626647949f) : in;
    x = x < -87.3365447504019f ? splat(-87.3365447504019f) : x;
    // n = floor(x / ln2 + 1/2)
    const F t = x * 1.44269504088896341f + 0.5f;
    F n = __builtin_convertvector(__builtin_convertvector(t, I), F);
    n = n > t ? n - 1.0f : n;
    // r = x - n ln2, in two parts for precision
    const F r = x - n * 0.693359375f - n * -2.12194440e-4f;
    const F r2 = r * r;
    F p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const F e = p * r2 + r + 1.0f;
    // 2^n: n + 127 in the exponent bits (n in [-126, 127] after the clamps; NaN lanes give
    // garbage bits here but stay NaN through e).
    const U bits = (__builtin_convertvector(__builtin_convertvector(n, I) + 127, U)) << 23;
    F scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return e * scale;
  }

  static float maxOf(const F& v) {
    float m = v[0];
    for (int k = 1; k < W; ++k) m = v[k] > m ? v[k] : m;
    return m;
  }
  static double sumOf(const D& v) {
    // Pairwise, in a fixed order.
    double lanes[W];
    std::memcpy(lanes, &v, sizeof lanes);
    for (int width = W / 2; width > 0; width /= 2) {
      for (int k = 0; k < width; ++k) lanes[k] += lanes[k + width];
    }
    return lanes[0];
  }

  template <bool kLog>
  static void row(const float* x, float* y, std::int64_t n) {
    // The max.
    F vmax = splat(-std::numeric_limits<float>::infinity());
    std::int64_t i = 0;
    for (; i + W <= n; i += W) {
      const F v = load(x + i);
      vmax = v > vmax ? v : vmax;
    }
    float m = maxOf(vmax);
    for (std::int64_t j = i; j < n; ++j) m = x[j] > m ? x[j] : m;
    // exp(x - max), summed in double lanes; the tail in a padded vector whose extra lanes
    // are masked out.
    D vsum = D{};
    for (i = 0; i + W <= n; i += W) {
      const F e = exp(load(x + i) - m);
      if constexpr (!kLog) store(y + i, e);
      vsum += __builtin_convertvector(e, D);
    }
    if (i < n) {
      float tail[W];
      for (int k = 0; k < W; ++k) tail[k] = i + k < n ? x[i + k] : m;
      F e = exp(load(tail) - m);
      I lane;
      for (int k = 0; k < W; ++k) lane[k] = k;
      e = lane < static_cast<std::int32_t>(n - i) ? e : splat(0.0f);
      if constexpr (!kLog) {
        float out[W];
        store(out, e);
        for (std::int64_t k = 0; k < n - i; ++k) y[i + k] = out[k];
      }
      vsum += __builtin_convertvector(e, D);
    }
    const double sum = sumOf(vsum);
    if constexpr (kLog) {
      const float logSum = static_cast<float>(std::log(sum));
      for (i = 0; i + W <= n; i += W) store(y + i, (load(x + i) - m) - logSum);
      for (; i < n; ++i) y[i] = (x[i] - m) - logSum;
    } else {
      const float inv = static_cast<float>(1.0 / sum);
      for (i = 0; i + W <= n; i += W) store(y + i, load(y + i) * inv);
      for (; i < n; ++i) y[i] *= inv;
    }
  }

  template <bool kLog>
  static void run(const KernelArgs& args) {
    const Shape& s = args.inputs[0].type.shape;
    const std::int64_t n = s.dims[s.rank - 1];
    const std::int64_t rows = n == 0 ? 0 : s.numel() / n;
    const float* x = args.inputs[0].as<float>();
    float* y = args.outputs[0].as<float>();
    const std::int64_t tasks = taskCount(args.pool, rows * n * 8, rows);
    parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
      for (std::int64_t r = rows * t / tasks; r < rows * (t + 1) / tasks; ++r) row<kLog>(x + r * n, y + r * n, n);
    });
  }
};

}  // namespace
}  // namespace edgert::kernels::softmax
