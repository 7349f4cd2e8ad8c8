// The compiler's graph: what edgert-compile builds from an ONNX model, transforms with
// its passes, plans memory for and writes as a model image. Host-only.
//
// Values are tensors with static types; a value with `data` is a constant (a weight, or
// the result of constant folding). Nodes are kernel ops (kernels/ops.hpp) with their
// parameter block: ONNX's own vocabulary is translated on import, and ops that only
// compute shapes (Shape, ConstantOfShape, Constant, ...) are evaluated then.
#pragma once

#include "edgert/kernels/ops.hpp"
#include "edgert/kernels/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace edgert::compiler {

// Memory layout of a 4-D activation or weight, chosen per value by the layout pass.
enum class Layout : std::uint8_t {
  kPlain = 0,  // row-major in the order of the shape (NCHW for activations, OIHW for weights)
};

using ValueId = std::int32_t;
inline constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  kernels::TensorType type;
  std::vector<std::byte> data;  // non-empty (or a zero-element constant): constant
  bool isConstant = false;
  bool isGraphInput = false;
  bool isGraphOutput = false;
  Layout layout = Layout::kPlain;
};

struct Node {
  std::string name;                // ONNX node name (or "<op_type>#<index>" when unnamed)
  std::string onnxOp;              // the ONNX op this came from, for reports and errors
  kernels::OpCode op{};
  std::vector<std::byte> params;   // exactly findOp(op)->paramsBytes bytes
  std::vector<ValueId> inputs;     // kNoValue for an absent optional input
  std::vector<ValueId> outputs;
  std::uint16_t variant = 0;       // kernel variant id (0: reference)
  // Variants of other instruction sets the image also carries for this node, best first
  // (model::VariantRecord): the loader runs the first one its CPU runs, else `variant`.
  std::vector<std::uint16_t> alternatives;

  template <typename P>
  P paramsAs() const {
    static_assert(std::is_trivially_copyable_v<P>);
    P p{};
    std::memcpy(&p, params.data(), sizeof p < params.size() ? sizeof p : params.size());
    return p;
  }
  template <typename P>
  void setParams(const P& p) {
    static_assert(std::is_trivially_copyable_v<P>);
    params.resize(sizeof p);
    std::memcpy(params.data(), &p, sizeof p);
  }
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;         // in a valid execution (topological) order
  std::vector<ValueId> inputs;     // graph inputs, in ONNX order
  std::vector<ValueId> outputs;    // graph outputs, in ONNX order
  std::int64_t opset = 0;          // default-domain opset the model was imported with
  std::string producer;            // ONNX producer_name/version, for the report

  ValueId addValue(Value v) {
    values.push_back(std::move(v));
    return static_cast<ValueId>(values.size() - 1);
  }
  Value& value(ValueId id) { return values[static_cast<std::size_t>(id)]; }
  const Value& value(ValueId id) const { return values[static_cast<std::size_t>(id)]; }

  // For each value, the index of the node that computes it (-1: an input or a constant).
  std::vector<int> producers() const {
    std::vector<int> byValue(values.size(), -1);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (ValueId id : nodes[i].outputs) byValue[static_cast<std::size_t>(id)] = static_cast<int>(i);
    }
    return byValue;
  }
  // Drops the nodes marked in `removed` (one flag per node), keeping the others' order.
  void eraseNodes(const std::vector<bool>& removed) {
    std::vector<Node> kept;
    kept.reserve(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!removed[i]) kept.push_back(std::move(nodes[i]));
    }
    nodes = std::move(kept);
  }
};

}  // namespace edgert::compiler
