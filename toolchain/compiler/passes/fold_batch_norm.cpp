// BatchNormalization folded into the Conv that feeds it. For output channel c,
//   s[c] = scale[c] / sqrt(var[c] + epsilon)
//   W'[c, ...] = W[c, ...] * s[c]
//   b'[c] = (b[c] - mean[c]) * s[c] + B[c]        (b = 0 when the Conv has no bias)
// so that BN(Conv(x, W, b)) = Conv(x, W', b'). Computed in double, stored as float32.
#include "compiler/passes/passes.hpp"

#include <cmath>
#include <cstring>

namespace edgert::compiler {
namespace {

using kernels::DType;

std::vector<float> readFloats(const Value& v) {
  std::vector<float> out(static_cast<std::size_t>(v.type.shape.numel()));
  std::memcpy(out.data(), v.data.data(), out.size() * sizeof(float));
  return out;
}

void writeFloats(Value& v, const std::vector<float>& values) {
  v.data.resize(values.size() * sizeof(float));
  std::memcpy(v.data.data(), values.data(), v.data.size());
}

// A float32 constant with `count` elements that only the node being rewritten reads.
bool isPrivateFloatConstant(const Value& v, int uses, std::int64_t count) {
  return v.isConstant && !v.isGraphInput && !v.isGraphOutput && uses == 1 &&
         v.type.dtype == DType::kFloat32 && v.type.shape.numel() == count &&
         v.data.size() == v.type.bytes();
}

bool isFloatVector(const Value& v, std::int64_t count) {
  return v.isConstant && v.type.dtype == DType::kFloat32 && v.type.shape.rank == 1 &&
         v.type.shape.dims[0] == count && v.data.size() == v.type.bytes();
}

// Whether `bn` (reading the output of `conv`) can be folded into it.
bool canFold(const Graph& graph, const std::vector<int>& uses, const Node& conv, const Node& bn) {
  const ValueId x = bn.inputs[0];
  const Value& convOut = graph.value(x);
  if (uses[static_cast<std::size_t>(x)] != 1 || convOut.isGraphOutput) return false;
  const auto p = conv.paramsAs<kernels::ConvParams>();
  if (p.hasResidual != 0 || p.activation.kind != kernels::Activation::kNone) return false;
  if (conv.inputs.size() < 2 || bn.inputs.size() != 5) return false;
  const Value& w = graph.value(conv.inputs[1]);
  if (w.type.shape.rank < 1 || w.type.shape.numel() == 0) return false;
  const std::int64_t channels = w.type.shape.dims[0];
  if (!isPrivateFloatConstant(w, uses[static_cast<std::size_t>(conv.inputs[1])],
                              w.type.shape.numel())) {
    return false;
  }
  if (p.hasBias != 0) {
    if (conv.inputs.size() < 3 || conv.inputs[2] == kNoValue) return false;
    const ValueId b = conv.inputs[2];
    if (!isPrivateFloatConstant(graph.value(b), uses[static_cast<std::size_t>(b)], channels))
      return false;
  }
  for (std::size_t i = 1; i < 5; ++i) {
    if (bn.inputs[i] == kNoValue || !isFloatVector(graph.value(bn.inputs[i]), channels))
      return false;
  }
  return convOut.type.shape.rank >= 2 && convOut.type.shape.dims[1] == channels;
}

void fold(Graph& graph, Node& conv, const Node& bn) {
  const float epsilon = bn.paramsAs<kernels::BatchNormParams>().epsilon;
  const std::vector<float> scale = readFloats(graph.value(bn.inputs[1]));
  const std::vector<float> shift = readFloats(graph.value(bn.inputs[2]));
  const std::vector<float> mean = readFloats(graph.value(bn.inputs[3]));
  const std::vector<float> var = readFloats(graph.value(bn.inputs[4]));
  auto p = conv.paramsAs<kernels::ConvParams>();

  Value& w = graph.value(conv.inputs[1]);
  std::vector<float> weights = readFloats(w);
  const std::size_t channels = scale.size();
  const std::size_t perChannel = weights.size() / channels;
  std::vector<float> bias(channels, 0.0f);
  if (p.hasBias != 0) bias = readFloats(graph.value(conv.inputs[2]));

  for (std::size_t c = 0; c < channels; ++c) {
    const double s = static_cast<double>(scale[c]) /
                     std::sqrt(static_cast<double>(var[c]) + static_cast<double>(epsilon));
    for (std::size_t k = 0; k < perChannel; ++k) {
      float& wv = weights[c * perChannel + k];
      wv = static_cast<float>(static_cast<double>(wv) * s);
    }
    bias[c] = static_cast<float>((static_cast<double>(bias[c]) - mean[c]) * s + shift[c]);
  }
  writeFloats(w, weights);

  if (p.hasBias != 0) {
    writeFloats(graph.value(conv.inputs[2]), bias);
  } else {
    Value b;
    b.name = conv.name + "/folded_bias";
    b.type.dtype = kernels::DType::kFloat32;
    b.type.shape = kernels::Shape::of({static_cast<std::int64_t>(channels)});
    b.isConstant = true;
    writeFloats(b, bias);
    const ValueId id = graph.addValue(std::move(b));
    conv.inputs.resize(3, kNoValue);
    conv.inputs[2] = id;
    p.hasBias = 1;
    conv.setParams(p);
  }
  conv.outputs[0] = bn.outputs[0];
}

}  // namespace

Result<void> foldBatchNorm(Graph& graph) {
  std::vector<int> producer(graph.values.size(), -1);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (ValueId id : graph.nodes[i].outputs)
      producer[static_cast<std::size_t>(id)] = static_cast<int>(i);
  }
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& bn = graph.nodes[i];
    if (bn.op != kernels::OpCode::kBatchNorm || bn.inputs.empty() || bn.inputs[0] == kNoValue)
      continue;
    const int from = producer[static_cast<std::size_t>(bn.inputs[0])];
    if (from < 0) continue;
    Node& conv = graph.nodes[static_cast<std::size_t>(from)];
    if (conv.op != kernels::OpCode::kConv || !canFold(graph, uses, conv, bn)) continue;
    fold(graph, conv, bn);
    removed[i] = true;
  }
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  return success();
}

}  // namespace edgert::compiler
