// Per-channel affine maps folded into the Conv or ConvTranspose that feeds them. A node
// that computes y[c] = x[c] * s[c] + t[c] on the output x of such a node (channel c) is
//   - BatchNormalization: s = scale / sqrt(var + epsilon), t = B - mean * s;
//   - Add, Sub, Mul or Div with a float32 constant that is a scalar or varies along the
//     channel axis only (x + k, k + x, x - k, k - x, x * k, k * x, x / k; not k / x, and
//     not a divisor of 0 or a non-finite constant).
// Then W'[c, ...] = W[c, ...] * s[c] (ConvTranspose: W[i, c mod outPerGroup, ...] for the
// input channels i of c's group) and b'[c] = b[c] * s[c] + t[c] (b = 0 when there is no
// bias: one is created), so that the map of the conv is the conv with W', b'. Computed in
// double, stored as float32. Chains fold one after another (Conv -> Mul -> Add).
//
// Only where the conv output feeds the map alone and is not a graph output, the conv has
// no fused epilogue yet, and its weights (and bias) are float32 constants no other node
// reads.
#include "compiler/passes/passes.hpp"

#include <cmath>
#include <cstring>
#include <optional>

namespace edgert::compiler {
namespace {

using kernels::DType;
using kernels::OpCode;

std::vector<float> readFloats(const Value& v) {
  std::vector<float> out(static_cast<std::size_t>(v.type.shape.numel()));
  if (!out.empty()) std::memcpy(out.data(), v.data.data(), out.size() * sizeof(float));
  return out;
}

void writeFloats(Value& v, const std::vector<float>& values) {
  v.data.resize(values.size() * sizeof(float));
  if (!values.empty()) std::memcpy(v.data.data(), values.data(), v.data.size());
}

// A float32 constant with `count` elements that only the node being rewritten reads.
bool isPrivateFloatConstant(const Value& v, int uses, std::int64_t count) {
  return v.isConstant && !v.isGraphInput && !v.isGraphOutput && uses == 1 &&
         v.type.dtype == DType::kFloat32 && v.type.shape.numel() == count &&
         v.data.size() == v.type.bytes();
}

bool isFloatConstant(const Value& v) {
  return v.isConstant && !v.isGraphInput && v.type.dtype == DType::kFloat32 &&
         v.data.size() == v.type.bytes();
}

struct Affine {
  std::vector<double> scale, shift;  // per output channel
};

// The constant's values per channel of an output of `outShape` (channel axis 1): a scalar
// (one element, any rank up to the output's) or a tensor that, aligned to the right of the
// output's shape, is 1 everywhere but the channel axis, where it is `channels`.
std::optional<std::vector<double>> perChannel(const Value& k, const kernels::Shape& outShape,
                                              std::int64_t channels) {
  if (!isFloatConstant(k) || k.type.shape.rank > outShape.rank) return std::nullopt;
  const std::vector<float> values = readFloats(k);
  for (float v : values) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  if (values.size() == 1) return std::vector<double>(static_cast<std::size_t>(channels), values[0]);
  const int offset = outShape.rank - k.type.shape.rank;
  for (int d = 0; d < k.type.shape.rank; ++d) {
    const std::int64_t want = d + offset == 1 ? channels : 1;
    if (k.type.shape.dims[d] != want) return std::nullopt;
  }
  if (offset > 1) return std::nullopt;  // the channel axis is not covered: a broadcast
  return std::vector<double>(values.begin(), values.end());
}

// The affine map `node` applies to `x` (the conv output, `channels` channels), if it is one.
std::optional<Affine> affineOf(const Graph& graph, const Node& node, ValueId x, std::int64_t channels) {
  const Value& xv = graph.value(x);
  if (node.outputs.size() != 1 || !(graph.value(node.outputs[0]).type == xv.type)) return std::nullopt;
  const auto n = static_cast<std::size_t>(channels);
  if (node.op == OpCode::kBatchNorm) {
    if (node.inputs.size() != 5 || node.inputs[0] != x) return std::nullopt;
    std::vector<std::vector<float>> p;
    for (std::size_t i = 1; i < 5; ++i) {
      if (node.inputs[i] == kNoValue) return std::nullopt;
      const Value& v = graph.value(node.inputs[i]);
      if (!isFloatConstant(v) || v.type.shape.rank != 1 || v.type.shape.dims[0] != channels) return std::nullopt;
      p.push_back(readFloats(v));
    }
    const double epsilon = node.paramsAs<kernels::BatchNormParams>().epsilon;
    Affine a{std::vector<double>(n), std::vector<double>(n)};
    for (std::size_t c = 0; c < n; ++c) {
      a.scale[c] = static_cast<double>(p[0][c]) / std::sqrt(static_cast<double>(p[3][c]) + epsilon);
      a.shift[c] = static_cast<double>(p[1][c]) - static_cast<double>(p[2][c]) * a.scale[c];
    }
    return a;
  }
  if (node.op != OpCode::kBinary || node.inputs.size() != 2) return std::nullopt;
  const auto p = node.paramsAs<kernels::BinaryParams>();
  if (p.activation.kind != kernels::Activation::kNone) return std::nullopt;
  const int slot = node.inputs[0] == x ? 0 : 1;
  if (node.inputs[static_cast<std::size_t>(slot)] != x || node.inputs[1 - slot] == kNoValue ||
      node.inputs[1 - slot] == x) {
    return std::nullopt;
  }
  const auto k = perChannel(graph.value(node.inputs[static_cast<std::size_t>(1 - slot)]), xv.type.shape, channels);
  if (!k) return std::nullopt;
  Affine a{std::vector<double>(n, 1.0), std::vector<double>(n, 0.0)};
  for (std::size_t c = 0; c < n; ++c) {
    const double v = (*k)[c];
    switch (p.op) {
      case kernels::BinaryOp::kAdd: a.shift[c] = v; break;
      case kernels::BinaryOp::kSub:
        if (slot == 0) {
          a.shift[c] = -v;  // x - k
        } else {
          a.scale[c] = -1.0;  // k - x
          a.shift[c] = v;
        }
        break;
      case kernels::BinaryOp::kMul: a.scale[c] = v; break;
      case kernels::BinaryOp::kDiv:
        if (slot != 0 || v == 0.0) return std::nullopt;  // k / x is not affine
        a.scale[c] = 1.0 / v;
        break;
      default: return std::nullopt;  // not an affine map of x
    }
  }
  return a;
}

// The output channel count of a plain Conv or ConvTranspose whose weights (and bias) it
// may rewrite; 0 if it may not.
std::int64_t foldableChannels(const Graph& graph, const std::vector<int>& uses, const Node& conv) {
  bool hasBias = false;
  if (conv.op == OpCode::kConv) {
    const auto p = conv.paramsAs<kernels::ConvParams>();
    if (p.hasResidual != 0 || p.activation.kind != kernels::Activation::kNone) return 0;
    hasBias = p.hasBias != 0;
  } else if (conv.op == OpCode::kConvTranspose) {
    const auto p = conv.paramsAs<kernels::ConvTransposeParams>();
    if (p.activation.kind != kernels::Activation::kNone) return 0;
    hasBias = p.hasBias != 0;
  } else {
    return 0;
  }
  if (conv.inputs.size() < 2 || conv.inputs[1] == kNoValue || conv.outputs.size() != 1) return 0;
  const Value& w = graph.value(conv.inputs[1]);
  if (w.type.shape.rank < 2 || w.type.shape.numel() == 0) return 0;
  if (!isPrivateFloatConstant(w, uses[static_cast<std::size_t>(conv.inputs[1])], w.type.shape.numel())) return 0;
  const Value& y = graph.value(conv.outputs[0]);
  if (y.type.shape.rank < 3 || y.type.dtype != DType::kFloat32) return 0;
  const std::int64_t channels = y.type.shape.dims[1];
  if (hasBias) {
    if (conv.inputs.size() < 3 || conv.inputs[2] == kNoValue) return 0;
    const ValueId b = conv.inputs[2];
    if (!isPrivateFloatConstant(graph.value(b), uses[static_cast<std::size_t>(b)], channels)) return 0;
  }
  return channels;
}

// `uses` grows with the bias it may create (read by the conv alone).
void fold(Graph& graph, Node& conv, const Affine& a, ValueId newOutput, std::vector<int>& uses) {
  const std::size_t channels = a.scale.size();
  Value& w = graph.value(conv.inputs[1]);
  std::vector<float> weights = readFloats(w);
  auto scaleBy = [&weights](std::size_t at, std::size_t count, double s) {
    for (std::size_t k = at; k < at + count; ++k) {
      weights[k] = static_cast<float>(static_cast<double>(weights[k]) * s);
    }
  };
  bool hasBias = false;
  if (conv.op == OpCode::kConv) {
    // OIHW: output channel c is the c-th run of numel / C weights.
    const std::size_t perChannel = weights.size() / channels;
    for (std::size_t c = 0; c < channels; ++c) scaleBy(c * perChannel, perChannel, a.scale[c]);
    hasBias = conv.paramsAs<kernels::ConvParams>().hasBias != 0;
  } else {
    // (C_in, C_out / group, k...): input channel i of group g holds, for each j, the taps
    // of output channel g * outPerGroup + j.
    const auto p = conv.paramsAs<kernels::ConvTransposeParams>();
    const auto inChannels = static_cast<std::size_t>(w.type.shape.dims[0]);
    const auto outPerGroup = static_cast<std::size_t>(w.type.shape.dims[1]);
    const std::size_t taps = weights.size() / (inChannels * outPerGroup);
    const std::size_t inPerGroup = inChannels / static_cast<std::size_t>(p.group);
    for (std::size_t i = 0; i < inChannels; ++i) {
      for (std::size_t j = 0; j < outPerGroup; ++j) {
        scaleBy((i * outPerGroup + j) * taps, taps, a.scale[(i / inPerGroup) * outPerGroup + j]);
      }
    }
    hasBias = p.hasBias != 0;
  }
  writeFloats(w, weights);

  std::vector<float> bias(channels, 0.0f);
  if (hasBias) bias = readFloats(graph.value(conv.inputs[2]));
  for (std::size_t c = 0; c < channels; ++c) {
    bias[c] = static_cast<float>(static_cast<double>(bias[c]) * a.scale[c] + a.shift[c]);
  }
  if (hasBias) {
    writeFloats(graph.value(conv.inputs[2]), bias);
  } else {
    Value b;
    b.name = conv.name + "/folded_bias";
    b.type.dtype = DType::kFloat32;
    b.type.shape = kernels::Shape::of({static_cast<std::int64_t>(channels)});
    b.isConstant = true;
    writeFloats(b, bias);
    const ValueId id = graph.addValue(std::move(b));
    uses.push_back(1);
    conv.inputs.resize(3, kNoValue);
    conv.inputs[2] = id;
    if (conv.op == OpCode::kConv) {
      auto p = conv.paramsAs<kernels::ConvParams>();
      p.hasBias = 1;
      conv.setParams(p);
    } else {
      auto p = conv.paramsAs<kernels::ConvTransposeParams>();
      p.hasBias = 1;
      conv.setParams(p);
    }
  }
  conv.outputs[0] = newOutput;
}

}  // namespace

Result<void> foldAffine(Graph& graph) {
  std::vector<int> producer = graph.producers();
  std::vector<int> uses = countConsumers(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (node.op != OpCode::kBatchNorm && node.op != OpCode::kBinary) continue;
    for (ValueId x : node.inputs) {
      if (x == kNoValue) continue;
      const int from = producer[static_cast<std::size_t>(x)];
      if (from < 0 || removed[static_cast<std::size_t>(from)]) continue;
      if (uses[static_cast<std::size_t>(x)] != 1 || graph.value(x).isGraphOutput) continue;
      Node& conv = graph.nodes[static_cast<std::size_t>(from)];
      const std::int64_t channels = foldableChannels(graph, uses, conv);
      if (channels == 0) continue;
      const std::optional<Affine> a = affineOf(graph, node, x, channels);
      if (!a) continue;
      fold(graph, conv, *a, node.outputs[0], uses);
      // The conv now computes the node's output, at its own place in the order (the map's
      // other operands are constants): a following map can fold into it in turn.
      producer[static_cast<std::size_t>(node.outputs[0])] = from;
      removed[i] = true;
      break;
    }
  }
  graph.eraseNodes(removed);
  return success();
}

}  // namespace edgert::compiler
