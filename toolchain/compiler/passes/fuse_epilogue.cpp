// Epilogue fusion: work a following node would do on a freshly computed tensor is done by
// the producing kernel while the tensor is still in registers.
//   1. HardSwish as exporters write it without the op, x * Clip(x + 3, 0, 6) / 6 (Div by
//      6 or Mul by 1/6; the Clip separate or already fused into the Add; operands in
//      either order), becomes one HardSwish activation node.
//   2. Conv -> Add(other) with `other` of exactly the Conv output's type becomes a Conv
//      with a residual input (Y = act(conv + bias + residual)). The fused Conv takes the
//      Add's place in the order, since `other` may be computed after the Conv.
//   3. Conv, ConvTranspose or Binary -> Activation becomes the producer with a fused
//      activation (Clip arrives here with constant bounds: the importer requires them).
//   4. Conv or ConvTranspose with a fused HardSwish -> Add, Sub, Mul or Div by a scalar
//      constant becomes the producer with HardSwishAffine (hardswish(x) * alpha + beta);
//      further scalar maps compose into alpha and beta.
// Each only where the intermediate values have one consumer and are not graph outputs.
#include "compiler/passes/passes.hpp"

#include <cmath>
#include <cstring>
#include <optional>

namespace edgert::compiler {
namespace {

using kernels::Activation;
using kernels::OpCode;

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
  const std::vector<int> producer = graph.producers();
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!isPlainAdd(graph.nodes[i])) continue;
    if (!fuseResidual(graph, producer, uses, removed, i, 0)) {
      fuseResidual(graph, producer, uses, removed, i, 1);
    }
  }
  graph.eraseNodes(removed);
}

// A Binary node without fused activation, of two present operands.
bool isBinary(const Node& node, kernels::BinaryOp op) {
  if (node.op != OpCode::kBinary || node.inputs.size() != 2 || node.inputs[0] == kNoValue ||
      node.inputs[1] == kNoValue) {
    return false;
  }
  return node.paramsAs<kernels::BinaryParams>().op == op;
}

bool isClip0To6(const kernels::ActivationParams& a) {
  return a.kind == Activation::kClip && a.alpha == 0.0f && a.beta == 6.0f;
}

// Rewrites the node at `divIndex` (m / 6 or m * 1/6) into HardSwish(x) when m = x * c, c =
// Clip(x + 3, 0, 6), and every intermediate is private; marks the nodes it replaces.
bool recognizeHardSwishAt(Graph& graph, const std::vector<int>& producer, const std::vector<int>& uses,
                          std::vector<bool>& removed, std::size_t divIndex) {
  Node& last = graph.nodes[divIndex];
  const bool isDiv = isBinary(last, kernels::BinaryOp::kDiv);
  if (!isDiv && !isBinary(last, kernels::BinaryOp::kMul)) return false;
  if (last.paramsAs<kernels::BinaryParams>().activation.kind != Activation::kNone) return false;
  ValueId m = kNoValue;
  if (isDiv) {
    const auto six = scalarConstant(graph, last.inputs[1]);
    if (!six || *six != 6.0f) return false;
    m = last.inputs[0];
  } else {
    const auto k = scalarOperand(graph, last);
    if (!k || std::fabs(k->first - 1.0f / 6.0f) > 1e-7f) return false;
    m = k->second;
  }
  auto privateFrom = [&](ValueId id) -> int {
    if (id == kNoValue || !isPrivateIntermediate(graph, uses, id)) return -1;
    const int from = producer[static_cast<std::size_t>(id)];
    return from >= 0 && !removed[static_cast<std::size_t>(from)] ? from : -1;
  };
  const int mulIndex = privateFrom(m);
  if (mulIndex < 0) return false;
  const Node& mul = graph.nodes[static_cast<std::size_t>(mulIndex)];
  if (!isBinary(mul, kernels::BinaryOp::kMul) ||
      mul.paramsAs<kernels::BinaryParams>().activation.kind != Activation::kNone) {
    return false;
  }
  for (std::size_t k = 0; k < 2; ++k) {
    const ValueId x = mul.inputs[1 - k];
    // The clipped value: a Clip activation node over the Add, or the Add with Clip fused.
    int clipIndex = privateFrom(mul.inputs[k]);
    if (clipIndex < 0) continue;
    int addIndex = clipIndex;
    const Node& clip = graph.nodes[static_cast<std::size_t>(clipIndex)];
    if (clip.op == OpCode::kActivation) {
      if (!isClip0To6(clip.paramsAs<kernels::ActivationParams>()) || clip.inputs.size() != 1) continue;
      addIndex = privateFrom(clip.inputs[0]);
      if (addIndex < 0) continue;
    } else {
      clipIndex = -1;
    }
    const Node& add = graph.nodes[static_cast<std::size_t>(addIndex)];
    if (!isBinary(add, kernels::BinaryOp::kAdd)) continue;
    const auto addAct = add.paramsAs<kernels::BinaryParams>().activation;
    if (clipIndex < 0 ? !isClip0To6(addAct) : addAct.kind != Activation::kNone) continue;
    const auto three = scalarOperand(graph, add);
    if (!three || three->first != 3.0f || three->second != x) continue;
    const kernels::TensorType& type = graph.value(x).type;
    if (type.dtype != kernels::DType::kFloat32 || !(graph.value(last.outputs[0]).type == type) ||
        !(graph.value(m).type == type) || !(graph.value(add.outputs[0]).type == type)) {
      continue;
    }
    removed[static_cast<std::size_t>(mulIndex)] = true;
    removed[static_cast<std::size_t>(addIndex)] = true;
    if (clipIndex >= 0) removed[static_cast<std::size_t>(clipIndex)] = true;
    last.op = OpCode::kActivation;
    last.setParams(kernels::ActivationParams{Activation::kHardSwish, {}, 0.0f, 0.0f});
    last.inputs = {x};
    return true;
  }
  return false;
}

void recognizeHardSwish(Graph& graph) {
  const std::vector<int> producer = graph.producers();
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!removed[i]) recognizeHardSwishAt(graph, producer, uses, removed, i);
  }
  graph.eraseNodes(removed);
}

// The fused activation of a Conv, ConvTranspose or Binary node; nullopt for other ops.
std::optional<kernels::ActivationParams> fusedActivation(const Node& node) {
  switch (node.op) {
    case OpCode::kConv: return node.paramsAs<kernels::ConvParams>().activation;
    case OpCode::kConvTranspose: return node.paramsAs<kernels::ConvTransposeParams>().activation;
    case OpCode::kBinary: return node.paramsAs<kernels::BinaryParams>().activation;
    default: return std::nullopt;
  }
}

// Replaces the fused activation of a node fusedActivation accepts.
void setFusedActivation(Node& node, const kernels::ActivationParams& a) {
  auto update = [&node, &a](auto p) {
    p.activation = a;
    node.setParams(p);
  };
  switch (node.op) {
    case OpCode::kConv: update(node.paramsAs<kernels::ConvParams>()); break;
    case OpCode::kConvTranspose: update(node.paramsAs<kernels::ConvTransposeParams>()); break;
    case OpCode::kBinary: update(node.paramsAs<kernels::BinaryParams>()); break;
    default: break;
  }
}

// Sets the fused activation of a Conv, ConvTranspose or Binary node; false when it already
// has one or is another op.
bool setActivation(Node& node, const kernels::ActivationParams& act) {
  const auto current = fusedActivation(node);
  if (!current || current->kind != Activation::kNone) return false;
  setFusedActivation(node, act);
  return true;
}

void fuseActivations(Graph& graph) {
  const std::vector<int> producer = graph.producers();
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
  graph.eraseNodes(removed);
}

void fuseActivationAffine(Graph& graph) {
  std::vector<int> producer = graph.producers();
  const std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (node.op != OpCode::kBinary || node.inputs.size() != 2) continue;
    const auto bp = node.paramsAs<kernels::BinaryParams>();
    if (bp.activation.kind != Activation::kNone) continue;
    const auto k = scalarOperand(graph, node);
    if (!k || !std::isfinite(k->first)) continue;
    const ValueId x = k->second;
    const int from = producer[static_cast<std::size_t>(x)];
    if (from < 0 || removed[static_cast<std::size_t>(from)] || !isPrivateIntermediate(graph, uses, x)) continue;
    if (!(graph.value(node.outputs[0]).type == graph.value(x).type)) continue;
    Node& prod = graph.nodes[static_cast<std::size_t>(from)];
    if (prod.op != OpCode::kConv && prod.op != OpCode::kConvTranspose) continue;
    kernels::ActivationParams a = *fusedActivation(prod);
    if (a.kind == Activation::kHardSwish) a = {Activation::kHardSwishAffine, {}, 1.0f, 0.0f};
    if (a.kind != Activation::kHardSwishAffine) continue;
    const bool constantFirst = node.inputs[0] != x;
    const double c = k->first;
    double alpha = a.alpha, beta = a.beta;
    switch (bp.op) {
      case kernels::BinaryOp::kAdd: beta += c; break;
      case kernels::BinaryOp::kSub:
        if (constantFirst) {  // c - y
          alpha = -alpha;
          beta = c - beta;
        } else {
          beta -= c;
        }
        break;
      case kernels::BinaryOp::kMul:
        alpha *= c;
        beta *= c;
        break;
      case kernels::BinaryOp::kDiv:
        if (constantFirst || c == 0.0) continue;
        alpha /= c;
        beta /= c;
        break;
      default: continue;  // not an affine map of the HardSwish
    }
    a.alpha = static_cast<float>(alpha);
    a.beta = static_cast<float>(beta);
    if (!std::isfinite(a.alpha) || !std::isfinite(a.beta)) continue;
    setFusedActivation(prod, a);
    prod.outputs[0] = node.outputs[0];
    producer[static_cast<std::size_t>(node.outputs[0])] = from;
    removed[i] = true;
  }
  graph.eraseNodes(removed);
}

}  // namespace

// The value of a float32 constant with one element (any rank), if `id` is one.
std::optional<float> scalarConstant(const Graph& graph, ValueId id) {
  if (id == kNoValue) return std::nullopt;
  const Value& v = graph.value(id);
  if (!v.isConstant || v.isGraphInput || v.type.dtype != kernels::DType::kFloat32 ||
      v.type.shape.numel() != 1 || v.data.size() != sizeof(float)) {
    return std::nullopt;
  }
  float f;
  std::memcpy(&f, v.data.data(), sizeof f);
  return f;
}

// For a Binary node with a scalar constant operand: that value and the other operand.
std::optional<std::pair<float, ValueId>> scalarOperand(const Graph& graph, const Node& node) {
  for (std::size_t k = 0; k < 2; ++k) {
    if (auto v = scalarConstant(graph, node.inputs[k])) return std::make_pair(*v, node.inputs[1 - k]);
  }
  return std::nullopt;
}

Result<void> fuseEpilogue(Graph& graph) {
  recognizeHardSwish(graph);
  fuseResiduals(graph);
  fuseActivations(graph);
  fuseActivationAffine(graph);
  return success();
}

}  // namespace edgert::compiler
