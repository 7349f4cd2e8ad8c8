// The activation functions shared by the standalone activation op and the fused
// epilogues of Conv and Binary. Inline: they sit in the innermost loops.
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/ops.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace edgert::kernels {

// The ONNX name of an activation kind ("None" for none, "invalid" for a value outside the
// enum), for messages and reports.
constexpr std::string_view activationName(Activation kind) {
  switch (kind) {
    case Activation::kNone: return "None";
    case Activation::kRelu: return "Relu";
    case Activation::kLeakyRelu: return "LeakyRelu";
    case Activation::kClip: return "Clip";
    case Activation::kSigmoid: return "Sigmoid";
    case Activation::kHardSigmoid: return "HardSigmoid";
    case Activation::kHardSwish: return "HardSwish";
    case Activation::kTanh: return "Tanh";
    case Activation::kHardSwishAffine: return "HardSwishAffine";
  }
  return "invalid";
}

inline float applyActivation(const ActivationParams& a, float x) {
  switch (a.kind) {
    case Activation::kNone: return x;
    case Activation::kRelu: return x > 0.0f ? x : 0.0f;
    case Activation::kLeakyRelu: return x < 0.0f ? a.alpha * x : x;
    case Activation::kClip: return std::min(std::max(x, a.alpha), a.beta);
    case Activation::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Activation::kHardSigmoid: return std::max(0.0f, std::min(1.0f, a.alpha * x + a.beta));
    case Activation::kHardSwish: return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
    case Activation::kTanh: return std::tanh(x);
    case Activation::kHardSwishAffine:
      return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f)) * a.alpha + a.beta;
  }
  return x;
}

// Rejects unknown kinds and NaN parameters; Clip needs alpha <= beta.
inline Result<void> validateActivation(const ActivationParams& a, std::string_view op) {
  if (static_cast<unsigned>(a.kind) > static_cast<unsigned>(Activation::kHardSwishAffine)) {
    return makeError(Errc::kCorrupt, "{}: unknown activation {}", op, static_cast<unsigned>(a.kind));
  }
  if (std::isnan(a.alpha) || std::isnan(a.beta)) {
    return makeError(Errc::kCorrupt, "{}: activation parameter is NaN", op);
  }
  if (a.kind == Activation::kClip && a.alpha > a.beta) {
    return makeError(Errc::kCorrupt, "{}: Clip min {} is above max {}", op, a.alpha, a.beta);
  }
  return success();
}

}  // namespace edgert::kernels
