// Depthwise-pointwise fusion: a depthwise Conv whose output only a pointwise Conv reads
// (MobileNet's separable convs, BlazeFace's BlazeBlocks, PP-LCNet's blocks) becomes one
// DepthwisePointwise node, so that the intermediate is computed a few rows at a time in
// scratch and read back from cache instead of written to the arena and read again
// (ops.hpp). Runs after epilogue fusion: the depthwise Conv keeps its fused activation,
// the pointwise Conv its residual and activation. Only where a fast variant of the op
// applies (the registry's; today 3x3 or 5x5 depthwise, strides 1 or 2), so a
// fused node never runs slower than the two it replaces; the values are the same either
// way (the reference computes T exactly as the Conv reference does).
#include "compiler/passes/passes.hpp"

#include "edgert/kernels/registry.hpp"

namespace edgert::compiler {
namespace {

using kernels::OpCode;

kernels::TensorType typeOf(const Graph& graph, ValueId id) {
  if (id != kNoValue) return graph.value(id).type;
  kernels::TensorType absent;
  absent.shape.rank = kernels::kAbsentRank;
  return absent;
}

// The value at `id` is computed by a node, read by exactly one input slot, and is not a
// graph output.
// A fast (non-reference) DepthwisePointwise variant applies to these types, on any target.
bool fastVariantApplies(const kernels::DepthwisePointwiseParams& p, std::span<const kernels::TensorType> inputs,
                        const kernels::TensorType& output) {
  for (const kernels::KernelVariant& v : kernels::allVariants()) {
    if (v.code == OpCode::kDepthwisePointwise && v.id != 0 && v.applies &&
        v.applies(&p, inputs, std::span<const kernels::TensorType>(&output, 1))) {
      return true;
    }
  }
  return false;
}

bool isPrivate(const Graph& graph, const std::vector<int>& uses, ValueId id) {
  const Value& v = graph.value(id);
  return uses[static_cast<std::size_t>(id)] == 1 && !v.isGraphOutput && !v.isConstant && !v.isGraphInput;
}

// Fuses the pointwise Conv at `index` with the depthwise Conv computing its input, if both
// qualify; the fused node takes the pointwise node's place (its residual may be computed
// after the depthwise node).
bool fuseAt(Graph& graph, const std::vector<int>& producer, const std::vector<int>& uses, std::vector<bool>& removed,
            std::size_t index) {
  Node& pw = graph.nodes[index];
  if (pw.op != OpCode::kConv || pw.inputs.size() < 2 || pw.inputs[0] == kNoValue) return false;
  const ValueId t = pw.inputs[0];
  const int from = producer[static_cast<std::size_t>(t)];
  if (from < 0 || removed[static_cast<std::size_t>(from)] || !isPrivate(graph, uses, t)) return false;
  const Node& dw = graph.nodes[static_cast<std::size_t>(from)];
  if (dw.op != OpCode::kConv || dw.outputs.size() != 1) return false;
  const auto d = dw.paramsAs<kernels::ConvParams>();
  auto q = pw.paramsAs<kernels::ConvParams>();
  if (d.hasResidual != 0) return false;
  q.dilation[0] = q.dilation[1] = 1;  // no effect on a 1x1 kernel

  kernels::DepthwisePointwiseParams fused;
  fused.depthwise = d;
  fused.pointwise = q;
  const auto input = [](const Node& n, std::size_t i) { return i < n.inputs.size() ? n.inputs[i] : kNoValue; };
  std::vector<ValueId> inputs = {input(dw, 0), input(dw, 1), input(pw, 1), input(dw, 2), input(pw, 2), input(pw, 3)};
  std::vector<kernels::TensorType> types;
  for (ValueId id : inputs) types.push_back(typeOf(graph, id));
  const kernels::TensorType out = graph.value(pw.outputs[0]).type;
  // The op's own checks first (a channel multiplier of 1, the pointwise part's shape): a
  // pair they refuse stays two Convs; then whether a fast variant covers it.
  std::vector<kernels::TensorType> inferred(1);
  if (!kernels::findOp(OpCode::kDepthwisePointwise)->infer(&fused, types, inferred) || !(inferred[0] == out) ||
      !fastVariantApplies(fused, types, out)) {
    return false;
  }
  while (!inputs.empty() && inputs.back() == kNoValue) inputs.pop_back();
  Node node;
  node.name = dw.name + " + " + pw.name;
  node.onnxOp = dw.onnxOp + "+" + pw.onnxOp;
  node.op = OpCode::kDepthwisePointwise;
  node.setParams(fused);
  node.inputs = std::move(inputs);
  node.outputs = pw.outputs;
  removed[static_cast<std::size_t>(from)] = true;
  pw = std::move(node);
  return true;
}

}  // namespace

Result<void> fuseDepthwisePointwise(Graph& graph) {
  const std::vector<int> producer = graph.producers();
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) fuseAt(graph, producer, uses, removed, i);
  graph.eraseNodes(removed);
  return success();
}

}  // namespace edgert::compiler
