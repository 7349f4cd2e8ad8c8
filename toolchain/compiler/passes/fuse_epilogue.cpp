// Epilogue fusion: work a following node would do on a freshly computed tensor is done by
// the producing kernel while the tensor is still in registers.
//   1. Conv -> Add(other) with `other` of exactly the Conv output's type becomes a Conv
//      with a residual input (Y = act(conv + bias + residual)). The fused Conv takes the
//      Add's place in the order, since `other` may be computed after the Conv.
//   2. Conv or Binary -> Activation becomes the producer with a fused activation (Clip
//      arrives here with constant bounds: the importer requires them).
// Either only where the intermediate value has one consumer and is not a graph output.
#include "compiler/passes/passes.hpp"

namespace edgert::compiler {
namespace {

using kernels::Activation;
using kernels::OpCode;

std::vector<int> producers(const Graph& graph) {
  std::vector<int> producer(graph.values.size(), -1);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (ValueId id : graph.nodes[i].outputs)
      producer[static_cast<std::size_t>(id)] = static_cast<int>(i);
  }
  return producer;
}

void eraseNodes(Graph& graph, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
}

// The value is computed by a node, read by exactly one input slot, and not a graph output.
bool isPrivateIntermediate(const Graph& graph, const std::vector<int>& uses, ValueId id) {
  return uses[static_cast<std::size_t>(id)] == 1 && !graph.value(id).isGraphOutput &&
         !graph.value(id).isConstant && !graph.value(id).isGraphInput;
}

bool isPlainConv(const Node& node) {
  if (node.op != OpCode::kConv) return false;
  const auto p = node.paramsAs<kernels::ConvParams>();
  return p.hasResidual == 0 && p.activation.kind == Activation::kNone;
}

bool isPlainAdd(const Node& node) {
  if (node.op != OpCode::kBinary || node.inputs.size() != 2) return false;
  const auto p = node.paramsAs<kernels::BinaryParams>();
  return p.op == kernels::BinaryOp::kAdd && p.activation.kind == Activation::kNone &&
         node.inputs[0] != kNoValue && node.inputs[1] != kNoValue;
}

// Tries to fuse the Add at `addIndex` into the Conv computing operand `k`.
bool fuseResidual(Graph& graph, const std::vector<int>& producer, const std::vector<int>& uses,
                  std::vector<bool>& removed, std::size_t addIndex, std::size_t k) {
  Node& add = graph.nodes[addIndex];
  const ValueId convOut = add.inputs[k];
  const ValueId other = add.inputs[1 - k];
  const int from = producer[static_cast<std::size_t>(convOut)];
  if (from < 0 || removed[static_cast<std::size_t>(from)] || other == convOut) return false;
  Node& conv = graph.nodes[static_cast<std::size_t>(from)];
  if (!isPlainConv(conv) || !isPrivateIntermediate(graph, uses, convOut)) return false;
  if (!(graph.value(other).type == graph.value(convOut).type)) return false;

  Node fused = std::move(conv);
  auto p = fused.paramsAs<kernels::ConvParams>();
  p.hasResidual = 1;
  fused.setParams(p);
  fused.inputs.resize(4, kNoValue);
  fused.inputs[3] = other;
  fused.outputs = add.outputs;
  removed[static_cast<std::size_t>(from)] = true;
  add = std::move(fused);
  return true;
}

void fuseResiduals(Graph& graph) {
  const std::vector<int> producer = producers(graph);
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!isPlainAdd(graph.nodes[i])) continue;
    if (!fuseResidual(graph, producer, uses, removed, i, 0)) {
      fuseResidual(graph, producer, uses, removed, i, 1);
    }
  }
  eraseNodes(graph, removed);
}

// Sets the fused activation of a Conv or Binary node; false when it already has one or is
// another op.
bool setActivation(Node& node, const kernels::ActivationParams& act) {
  if (node.op == OpCode::kConv) {
    auto p = node.paramsAs<kernels::ConvParams>();
    if (p.activation.kind != Activation::kNone) return false;
    p.activation = act;
    node.setParams(p);
    return true;
  }
  if (node.op == OpCode::kBinary) {
    auto p = node.paramsAs<kernels::BinaryParams>();
    if (p.activation.kind != Activation::kNone) return false;
    p.activation = act;
    node.setParams(p);
    return true;
  }
  return false;
}

void fuseActivations(Graph& graph) {
  const std::vector<int> producer = producers(graph);
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& act = graph.nodes[i];
    if (act.op != OpCode::kActivation || act.inputs.size() != 1 || act.inputs[0] == kNoValue)
      continue;
    const ValueId x = act.inputs[0];
    const int from = producer[static_cast<std::size_t>(x)];
    if (from < 0 || !isPrivateIntermediate(graph, uses, x)) continue;
    if (graph.value(x).type.dtype != kernels::DType::kFloat32) continue;
    Node& prod = graph.nodes[static_cast<std::size_t>(from)];
    if (!setActivation(prod, act.paramsAs<kernels::ActivationParams>())) continue;
    prod.outputs[0] = act.outputs[0];
    removed[i] = true;
  }
  eraseNodes(graph, removed);
}

}  // namespace

Result<void> fuseEpilogue(Graph& graph) {
  fuseResiduals(graph);
  fuseActivations(graph);
  return success();
}

}  // namespace edgert::compiler
