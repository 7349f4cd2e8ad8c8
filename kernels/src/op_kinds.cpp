// The names of the op families' kinds (ops.hpp), for messages, reports and profiles.
#include "edgert/kernels/ops.hpp"

#include <array>

namespace edgert::kernels {
namespace {

template <std::size_t N, typename E>
std::string_view nameOf(const std::array<std::string_view, N>& names, E kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < N ? names[i] : std::string_view("?");
}

}  // namespace

std::string_view binaryOpName(BinaryOp op) {
  static constexpr std::array<std::string_view, kMaxBinaryOp + 1> kNames{
      "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "PRelu", "Mod", "Fmod",
      "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor"};
  return nameOf(kNames, op);
}

std::string_view reduceKindName(ReduceKind kind) {
  static constexpr std::array<std::string_view, kMaxReduceKind + 1> kNames{
      "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
      "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin"};
  return nameOf(kNames, kind);
}

std::string_view unaryKindName(UnaryKind kind) {
  static constexpr std::array<std::string_view, kMaxUnaryKind + 1> kNames{
      "Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Erf",
      "Sign", "Not", "Softplus", "Softsign", "Elu", "Selu", "ThresholdedRelu", "Sin", "Cos", "Gelu",
      "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Shrink"};
  return nameOf(kNames, kind);
}

}  // namespace edgert::kernels
