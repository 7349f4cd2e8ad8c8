// Shape checks shared by the ops' infer functions. Shapes come from files that may be
// corrupt, so every size computation is checked for overflow.
#pragma once

#include "edgert/base/result.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/kernels/tensor.hpp"

#include <span>
#include <string>
#include <string_view>

namespace edgert::kernels {

// Largest element count of one tensor edgert accepts (2^40): far above any edge model,
// far below where byte counts could overflow.
inline constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;

// rank in [0, kMaxRank], every dim in [0, kMaxElements], numel <= kMaxElements.
Result<void> validateShape(const Shape& shape, std::string_view op);

// Numpy multidirectional broadcasting of a and b: "Add: cannot broadcast 1x3x4 with 1x5".
Result<Shape> broadcastShapes(const Shape& a, const Shape& b, std::string_view op);

// "1x3x224x224" (a scalar prints as "scalar").
std::string formatShape(const Shape& shape);

// Checks inputs.size() within [min, max] counting present inputs, and outputs.size().
Result<void> expectArity(std::span<const TensorType> inputs, std::span<TensorType> outputs,
                         int minInputs, int maxInputs, int numOutputs, std::string_view op);

}  // namespace edgert::kernels
