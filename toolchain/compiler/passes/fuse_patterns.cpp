// Pattern fusion: subgraphs exporters write for ops ONNX (before opset 17) or PyTorch lacks
// become the one op that computes them.
//   LayerNorm: m = ReduceMean(x), d = x - m, v = ReduceMean(d^2) (Pow by 2 or d * d),
//     n = d / Sqrt(v + eps), then optionally n * gamma and + beta with constants shaped as
//     the normalized dims: one LayerNormalization node (gamma 1 when absent). Both means
//     reduce the same trailing axes with keepdims.
//   GELU (the Erf form): Erf(x / sqrt 2) (or x * 1/sqrt 2), + 1, then times x and times 0.5
//     in any order and grouping: one Unary Gelu node.
// Only where every intermediate is read by the pattern alone and is not a graph output.
#include "compiler/passes/passes.hpp"

#include <cmath>
#include <cstring>
#include <optional>

namespace edgert::compiler {
namespace {

using kernels::BinaryOp;
using kernels::OpCode;
using kernels::Shape;

struct Index {
  std::vector<int> producer;
  std::vector<int> uses;
  std::vector<std::vector<int>> consumers;  // node indices reading each value
};

Index indexGraph(const Graph& graph) {
  Index ix{graph.producers(), countConsumers(graph), std::vector<std::vector<int>>(graph.values.size())};
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (ValueId in : graph.nodes[i].inputs) {
      if (in != kNoValue) ix.consumers[static_cast<std::size_t>(in)].push_back(static_cast<int>(i));
    }
  }
  return ix;
}

// A value a node computes that only `reads` input slots consume and no one else sees.
bool isInternal(const Graph& graph, const Index& ix, ValueId id, int reads = 1) {
  if (id == kNoValue) return false;
  const Value& v = graph.value(id);
  return ix.uses[static_cast<std::size_t>(id)] == reads && !v.isGraphOutput && !v.isConstant && !v.isGraphInput &&
         ix.producer[static_cast<std::size_t>(id)] >= 0;
}

const Node* producerOf(const Graph& graph, const Index& ix, ValueId id) {
  if (id == kNoValue) return nullptr;
  const int p = ix.producer[static_cast<std::size_t>(id)];
  return p >= 0 ? &graph.nodes[static_cast<std::size_t>(p)] : nullptr;
}

int producerIndex(const Index& ix, ValueId id) { return ix.producer[static_cast<std::size_t>(id)]; }

// A Binary node of `op` without a fused activation.
bool isPlainBinary(const Node* node, BinaryOp op) {
  if (node == nullptr || node->op != OpCode::kBinary || node->inputs.size() != 2) return false;
  const auto p = node->paramsAs<kernels::BinaryParams>();
  return p.op == op && p.activation.kind == kernels::Activation::kNone;
}

bool isUnary(const Node* node, kernels::UnaryKind kind) {
  return node != nullptr && node->op == OpCode::kUnary && node->inputs.size() == 1 &&
         node->paramsAs<kernels::UnaryParams>().kind == kind;
}

// The first normalized axis of a mean over trailing axes with keepdims, or -1.
int trailingMeanAxis(const Node* node, int rank) {
  if (node == nullptr || node->op != OpCode::kReduce || node->inputs.size() != 1) return -1;
  const auto p = node->paramsAs<kernels::ReduceParams>();
  if (p.kind != kernels::ReduceKind::kMean || p.keepDims != 1 || p.axesMask == 0) return -1;
  int axis = rank;
  while (axis > 0 && (p.axesMask >> (axis - 1)) & 1u) --axis;
  const std::uint32_t trailing = ((std::uint32_t{1} << rank) - 1) & ~((std::uint32_t{1} << axis) - 1);
  return axis < rank && p.axesMask == trailing ? axis : -1;
}

// Whether `id` is a float32 constant LayerNorm accepts as scale or B for x from `axis`.
bool isRowConstant(const Graph& graph, ValueId id, const kernels::TensorType& x, int axis) {
  const Value& v = graph.value(id);
  if (!v.isConstant || v.type.dtype != kernels::DType::kFloat32) return false;
  std::int64_t row = 1;
  for (int i = axis; i < x.shape.rank; ++i) row *= x.shape.dims[i];
  if (v.type.shape.numel() != row && v.type.shape.numel() != 1) return false;
  // Its trailing dims (leading 1s dropped) must be the row's, so that the Mul broadcast
  // matched LayerNorm's indexing.
  int r = v.type.shape.rank;
  int lead = 0;
  while (lead < r && v.type.shape.dims[lead] == 1 && r - lead > x.shape.rank - axis) ++lead;
  if (v.type.shape.numel() == 1) return true;
  if (r - lead != x.shape.rank - axis) return false;
  for (int i = lead; i < r; ++i) {
    if (v.type.shape.dims[i] != x.shape.dims[axis + i - lead]) return false;
  }
  return true;
}

// Tries to rewrite the LayerNorm ending at the Div at `divIndex`; marks what it replaces.
bool fuseLayerNormAt(Graph& graph, const Index& ix, std::vector<bool>& removed, std::size_t divIndex) {
  const Node& div = graph.nodes[divIndex];
  if (!isPlainBinary(&div, BinaryOp::kDiv)) return false;
  const ValueId d = div.inputs[0];
  const ValueId s = div.inputs[1];
  const Node* sub = producerOf(graph, ix, d);
  if (!isPlainBinary(sub, BinaryOp::kSub)) return false;  // d's readers are checked below
  const ValueId x = sub->inputs[0];
  const kernels::TensorType& xt = graph.value(x).type;
  if (xt.dtype != kernels::DType::kFloat32 || !(graph.value(d).type == xt)) return false;
  const ValueId mean = sub->inputs[1];
  const Node* meanNode = producerOf(graph, ix, mean);
  const int axis = trailingMeanAxis(meanNode, xt.shape.rank);
  if (axis < 0 || meanNode->inputs[0] != x || !isInternal(graph, ix, mean)) return false;
  // s = Sqrt(v + eps), v = mean over the same axes of d^2.
  const Node* sqrt = producerOf(graph, ix, s);
  if (!isUnary(sqrt, kernels::UnaryKind::kSqrt) || !isInternal(graph, ix, s)) return false;
  const ValueId ve = sqrt->inputs[0];
  const Node* addEps = producerOf(graph, ix, ve);
  if (!isPlainBinary(addEps, BinaryOp::kAdd) || !isInternal(graph, ix, ve)) return false;
  const auto eps = scalarOperand(graph, *addEps);
  if (!eps || !(eps->first >= 0.0f) || !std::isfinite(eps->first)) return false;
  const ValueId v = eps->second;
  const Node* varNode = producerOf(graph, ix, v);
  if (trailingMeanAxis(varNode, xt.shape.rank) != axis || varNode->paramsAs<kernels::ReduceParams>().axesMask !=
                                                             meanNode->paramsAs<kernels::ReduceParams>().axesMask ||
      !isInternal(graph, ix, v)) {
    return false;
  }
  const ValueId squared = varNode->inputs[0];
  const Node* square = producerOf(graph, ix, squared);
  if (!isInternal(graph, ix, squared) || square == nullptr) return false;
  bool isSquare = false;
  if (isPlainBinary(square, BinaryOp::kPow)) {
    const auto two = scalarConstant(graph, square->inputs[1]);
    isSquare = square->inputs[0] == d && two && *two == 2.0f;
  } else if (isPlainBinary(square, BinaryOp::kMul)) {
    isSquare = square->inputs[0] == d && square->inputs[1] == d;
  }
  // d read by the square and the Div: Pow(d, 2) reads it once, d * d twice.
  const int dReads = square != nullptr && isPlainBinary(square, BinaryOp::kMul) ? 3 : 2;
  if (!isSquare || !isInternal(graph, ix, d, dReads)) return false;

  // Optional affine: n * gamma, + beta.
  std::vector<std::size_t> replaced = {divIndex};
  for (ValueId id : {d, mean, s, ve, v, squared}) replaced.push_back(static_cast<std::size_t>(producerIndex(ix, id)));
  ValueId gamma = kNoValue;
  ValueId beta = kNoValue;
  ValueId out = div.outputs[0];
  auto soleConsumer = [&](ValueId id) -> int {
    if (!isInternal(graph, ix, id)) return -1;
    const auto& c = ix.consumers[static_cast<std::size_t>(id)];
    return c.size() == 1 && !removed[static_cast<std::size_t>(c[0])] ? c[0] : -1;
  };
  if (const int m = soleConsumer(out); m >= 0 && isPlainBinary(&graph.nodes[static_cast<std::size_t>(m)], BinaryOp::kMul)) {
    const Node& mul = graph.nodes[static_cast<std::size_t>(m)];
    const ValueId other = mul.inputs[0] == out ? mul.inputs[1] : mul.inputs[0];
    if (isRowConstant(graph, other, xt, axis) && graph.value(mul.outputs[0]).type == xt) {
      gamma = other;
      replaced.push_back(static_cast<std::size_t>(m));
      out = mul.outputs[0];
    }
  }
  if (const int a = soleConsumer(out); a >= 0 && isPlainBinary(&graph.nodes[static_cast<std::size_t>(a)], BinaryOp::kAdd)) {
    const Node& add = graph.nodes[static_cast<std::size_t>(a)];
    const ValueId other = add.inputs[0] == out ? add.inputs[1] : add.inputs[0];
    if (isRowConstant(graph, other, xt, axis) && graph.value(add.outputs[0]).type == xt) {
      beta = other;
      replaced.push_back(static_cast<std::size_t>(a));
    }
  }
  if (gamma == kNoValue) {
    Value one;
    one.name = graph.value(div.outputs[0]).name + "/one";
    one.type = kernels::TensorType{kernels::DType::kFloat32, Shape::of({1})};
    const float unit = 1.0f;
    one.data.resize(sizeof unit);
    std::memcpy(one.data.data(), &unit, sizeof unit);
    one.isConstant = true;
    gamma = graph.addValue(std::move(one));
  }
  // The last node of the pattern (in graph order, the Div or the affine after it) becomes
  // the LayerNorm and keeps its output.
  const std::size_t last = replaced.back() > divIndex ? replaced.back() : divIndex;
  for (std::size_t i : replaced) removed[i] = i != last;
  Node& fused = graph.nodes[last];
  fused.op = OpCode::kLayerNorm;
  fused.setParams(kernels::LayerNormParams{axis, eps->first});
  fused.inputs = {x, gamma};
  if (beta != kNoValue) fused.inputs.push_back(beta);
  return true;
}

// Tries to rewrite the GELU around the Erf at `erfIndex`.
bool fuseGeluAt(Graph& graph, const Index& ix, std::vector<bool>& removed, std::size_t erfIndex) {
  const Node& erf = graph.nodes[erfIndex];
  if (!isUnary(&erf, kernels::UnaryKind::kErf)) return false;
  // erf's input: x / sqrt 2 or x * (1 / sqrt 2).
  const ValueId scaled = erf.inputs[0];
  const Node* scale = producerOf(graph, ix, scaled);
  if (scale == nullptr || !isInternal(graph, ix, scaled)) return false;
  ValueId x = kNoValue;
  if (isPlainBinary(scale, BinaryOp::kDiv)) {
    const auto c = scalarConstant(graph, scale->inputs[1]);
    if (c && std::fabs(*c - 1.41421356f) < 1e-5f) x = scale->inputs[0];
  } else if (isPlainBinary(scale, BinaryOp::kMul)) {
    const auto c = scalarOperand(graph, *scale);
    if (c && std::fabs(c->first - 0.70710678f) < 1e-6f) x = c->second;
  }
  if (x == kNoValue) return false;
  const kernels::TensorType& xt = graph.value(x).type;
  if (xt.dtype != kernels::DType::kFloat32) return false;
  auto soleConsumer = [&](ValueId id) -> const Node* {
    if (!isInternal(graph, ix, id)) return nullptr;
    const auto& c = ix.consumers[static_cast<std::size_t>(id)];
    return c.size() == 1 && !removed[static_cast<std::size_t>(c[0])] ? &graph.nodes[static_cast<std::size_t>(c[0])]
                                                                      : nullptr;
  };
  // + 1
  const Node* plusOne = soleConsumer(erf.outputs[0]);
  if (!isPlainBinary(plusOne, BinaryOp::kAdd)) return false;
  const auto one = scalarOperand(graph, *plusOne);
  if (!one || one->first != 1.0f) return false;
  // The two multiplications by x and by 0.5, in any order: follow the consumer chain of the
  // (1 + erf) value, collecting factors, until x and 0.5 are both in.
  ValueId current = plusOne->outputs[0];
  std::vector<const Node*> chain = {scale, &erf, plusOne};
  bool haveX = false;
  bool haveHalf = false;
  const Node* end = nullptr;
  while (!(haveX && haveHalf)) {
    const Node* mul = soleConsumer(current);
    if (!isPlainBinary(mul, BinaryOp::kMul)) return false;
    const ValueId other = mul->inputs[0] == current ? mul->inputs[1] : mul->inputs[0];
    if (const auto h = scalarConstant(graph, other); h && *h == 0.5f && !haveHalf) {
      haveHalf = true;
    } else if (other == x && !haveX) {
      haveX = true;
    } else if (const Node* half = producerOf(graph, ix, other);
               !haveX && !haveHalf && isInternal(graph, ix, other) && isPlainBinary(half, BinaryOp::kMul)) {
      // (x * 0.5) * (1 + erf)
      const auto halfOf = scalarOperand(graph, *half);
      if (!halfOf || halfOf->first != 0.5f || halfOf->second != x) return false;
      haveX = haveHalf = true;
      chain.push_back(half);
    } else {
      return false;
    }
    chain.push_back(mul);
    current = mul->outputs[0];
    end = mul;
  }
  if (!(graph.value(current).type == xt)) return false;
  // x is read by the scale, and by a Mul in the chain: it may have other readers too.
  for (const Node* n : chain) removed[static_cast<std::size_t>(n - graph.nodes.data())] = true;
  const std::size_t last = static_cast<std::size_t>(end - graph.nodes.data());
  removed[last] = false;
  Node& fused = graph.nodes[last];
  fused.op = OpCode::kUnary;
  kernels::UnaryParams p;
  p.kind = kernels::UnaryKind::kGelu;
  fused.setParams(p);
  fused.inputs = {x};
  return true;
}

}  // namespace

Result<void> fusePatterns(Graph& graph) {
  {
    const Index ix = indexGraph(graph);
    std::vector<bool> removed(graph.nodes.size(), false);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      if (!removed[i]) fuseLayerNormAt(graph, ix, removed, i);
    }
    graph.eraseNodes(removed);
  }
  {
    const Index ix = indexGraph(graph);
    std::vector<bool> removed(graph.nodes.size(), false);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      if (!removed[i]) fuseGeluAt(graph, ix, removed, i);
    }
    graph.eraseNodes(removed);
  }
  return success();
}

}  // namespace edgert::compiler
