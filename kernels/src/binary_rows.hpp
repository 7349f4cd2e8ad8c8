// The row loops of the fast Binary variants, written once over a small vector interface
// and instantiated per ISA (x86/binary.cpp: AVX2, neon/binary.cpp: NEON,
// portable/binary.cpp: one float at a time, left to the compiler's vectorizer).
//
// A vector type V provides: kWidth, load(p), store(p, v), splat(x), add/sub/mul/div(p, q)
// and activate(params, v), all lane by lane as activation.hpp and applyFloatOp compute
// them. The op is a template argument so the inner loops hold no switch; so is whether an
// activation is fused, so the common plain Add or Mul does not test it per vector.
// Elements past the last whole vector go through the scalar functions, so no load or store
// leaves the row. In place (y == a or y == b, same shape) every vector is loaded before
// the store to the same elements.
#pragma once

#include "elementwise_variants.hpp"

#include "edgert/kernels/activation.hpp"

#include <cstdint>

namespace edgert::kernels::elementwise {

inline float applyScalar(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    default: return 0.0f;  // binaryApplies takes Add, Sub, Mul and Div only
  }
}

template <typename V, BinaryOp kOp>
inline typename V::Vec applyVector(typename V::Vec a, typename V::Vec b) {
  if constexpr (kOp == BinaryOp::kAdd) return V::add(a, b);
  if constexpr (kOp == BinaryOp::kSub) return V::sub(a, b);
  if constexpr (kOp == BinaryOp::kMul) return V::mul(a, b);
  if constexpr (kOp == BinaryOp::kDiv) return V::div(a, b);
}

template <typename V, BinaryOp kOp, bool kAct>
inline typename V::Vec combine(typename V::Vec a, typename V::Vec b, const ActivationParams& act) {
  const typename V::Vec r = applyVector<V, kOp>(a, b);
  if constexpr (kAct) {
    return V::activate(act, r);
  } else {
    static_cast<void>(act);
    return r;
  }
}

template <typename V, BinaryOp kOp, bool kAct>
void binaryRow(const float* a, const float* b, float* y, std::int64_t n, RowKind kind,
               const ActivationParams& act) {
  using Vec = typename V::Vec;
  constexpr std::int64_t w = V::kWidth;
  const auto f = [&act](Vec p, Vec q) { return combine<V, kOp, kAct>(p, q, act); };
  std::int64_t i = 0;
  switch (kind) {
    case RowKind::kBoth:
      // Two vectors per step: the loads of the second overlap the arithmetic of the first.
      for (; i + 2 * w <= n; i += 2 * w) {
        const Vec a0 = V::load(a + i), a1 = V::load(a + i + w);
        const Vec b0 = V::load(b + i), b1 = V::load(b + i + w);
        V::store(y + i, f(a0, b0));
        V::store(y + i + w, f(a1, b1));
      }
      for (; i + w <= n; i += w) V::store(y + i, f(V::load(a + i), V::load(b + i)));
      for (; i < n; ++i) y[i] = applyActivation(act, applyScalar(kOp, a[i], b[i]));
      return;
    case RowKind::kRepeatB: {
      const Vec vb = V::splat(b[0]);
      for (; i + 2 * w <= n; i += 2 * w) {
        const Vec a0 = V::load(a + i), a1 = V::load(a + i + w);
        V::store(y + i, f(a0, vb));
        V::store(y + i + w, f(a1, vb));
      }
      for (; i + w <= n; i += w) V::store(y + i, f(V::load(a + i), vb));
      for (; i < n; ++i) y[i] = applyActivation(act, applyScalar(kOp, a[i], b[0]));
      return;
    }
    case RowKind::kRepeatA: {
      const Vec va = V::splat(a[0]);
      for (; i + 2 * w <= n; i += 2 * w) {
        const Vec b0 = V::load(b + i), b1 = V::load(b + i + w);
        V::store(y + i, f(va, b0));
        V::store(y + i + w, f(va, b1));
      }
      for (; i + w <= n; i += w) V::store(y + i, f(va, V::load(b + i)));
      for (; i < n; ++i) y[i] = applyActivation(act, applyScalar(kOp, a[0], b[i]));
      return;
    }
  }
}

using BinaryRowFn = void (*)(const float*, const float*, float*, std::int64_t, RowKind,
                             const ActivationParams&);

template <typename V, BinaryOp kOp>
BinaryRowFn pickRow(bool act) {
  return act ? binaryRow<V, kOp, true> : binaryRow<V, kOp, false>;
}

// The whole float32 Binary kernel for vector type V.
template <typename V>
void runBinaryWith(const KernelArgs& args) {
  const auto& p = *static_cast<const BinaryParams*>(args.params);
  const InTensor& a = args.inputs[0];
  const InTensor& b = args.inputs[1];
  const OutTensor& y = args.outputs[0];
  const bool act = p.activation.kind != Activation::kNone;
  BinaryRowFn row = nullptr;
  switch (p.op) {
    case BinaryOp::kAdd: row = pickRow<V, BinaryOp::kAdd>(act); break;
    case BinaryOp::kSub: row = pickRow<V, BinaryOp::kSub>(act); break;
    case BinaryOp::kMul: row = pickRow<V, BinaryOp::kMul>(act); break;
    case BinaryOp::kDiv: row = pickRow<V, BinaryOp::kDiv>(act); break;
    default: break;
  }
  if (row == nullptr) return;  // unreachable: binaryApplies takes Add, Sub, Mul and Div only
  const BinaryPlan plan = planBinary(a.type.shape, b.type.shape, y.type.shape);
  // Ranges of output elements, one per task: every element is computed exactly as on one
  // thread (lane by lane, as the scalar tail would), so the split changes no bit.
  const std::int64_t total = binaryElements(plan);
  const std::int64_t tasks = taskCount(args.pool, total, std::max<std::int64_t>(1, total / 256));
  parallelFor(args.pool, tasks, [&](std::int64_t t, int) {
    forEachBinaryRowIn(plan, a.as<float>(), b.as<float>(), y.as<float>(), splitBegin(total, tasks, t),
                       splitBegin(total, tasks, t + 1),
                       [&](const float* pa, const float* pb, float* py, std::int64_t n, RowKind kind) {
                         row(pa, pb, py, n, kind, p.activation);
                       });
  });
}

}  // namespace edgert::kernels::elementwise
