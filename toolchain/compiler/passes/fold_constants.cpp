// Constant folding: a node whose inputs are all constant runs its reference kernel on the
// host at compile time. Also the helpers that resolve and run single nodes, shared with the
// importer (which folds eagerly as it translates).
#include "compiler/passes/passes.hpp"

#include "edgert/kernels/registry.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>

namespace edgert::compiler {
namespace {

kernels::TensorType absentType() {
  kernels::TensorType t;
  t.shape.rank = kernels::kAbsentRank;
  return t;
}

std::string nodeLabel(const Node& node) {
  return fmt::format("node {} ({})", node.name, node.onnxOp.empty() ? "?" : node.onnxOp);
}

// Scratch memory for a kernel: 64-byte aligned as KernelArgs promises.
struct AlignedFree {
  void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t{64}); }
};
using ScratchBuffer = std::unique_ptr<std::byte[], AlignedFree>;

}  // namespace

Result<std::vector<kernels::TensorType>> inferNode(const Graph& graph, const Node& node,
                                                   std::size_t outputCount) {
  const kernels::OpInfo* info = kernels::findOp(node.op);
  if (info == nullptr) {
    return makeError(Errc::kInternal, "{}: op code {} is not in the registry", nodeLabel(node),
                     static_cast<unsigned>(node.op));
  }
  if (node.params.size() != info->paramsBytes) {
    return makeError(Errc::kInternal, "{}: parameter block has {} bytes, {} expects {}",
                     nodeLabel(node), node.params.size(), info->name, info->paramsBytes);
  }
  std::vector<kernels::TensorType> inputs;
  inputs.reserve(node.inputs.size());
  for (ValueId id : node.inputs) {
    if (id == kNoValue) {
      inputs.push_back(absentType());
    } else if (id < 0 || static_cast<std::size_t>(id) >= graph.values.size()) {
      return makeError(Errc::kInternal, "{}: input value id {} out of range", nodeLabel(node), id);
    } else {
      inputs.push_back(graph.value(id).type);
    }
  }
  if (outputCount == 0) outputCount = node.outputs.empty() ? info->minOutputs : node.outputs.size();
  std::vector<kernels::TensorType> outputs(outputCount);
  if (auto r = info->infer(node.params.data(), inputs, outputs); !r) {
    return std::move(r).error().withContext(nodeLabel(node));
  }
  return outputs;
}

bool hasOnlyConstantInputs(const Graph& graph, const Node& node) {
  bool any = false;
  for (ValueId id : node.inputs) {
    if (id == kNoValue) continue;
    if (!graph.value(id).isConstant) return false;
    any = true;
  }
  return any;
}

Result<void> checkFoldedBytes(const kernels::TensorType& type, std::string_view what) {
  if (type.bytes() <= kMaxFoldedBytes) return success();
  return makeError(Errc::kUnsupported,
                   "{}: a constant of {} {} ({} bytes) is over the {} MiB edgert-compile computes "
                   "at compile time",
                   what, kernels::formatShape(type.shape), kernels::dtypeName(type.dtype), type.bytes(),
                   kMaxFoldedBytes >> 20);
}

namespace {

// Multiply-adds (window reads for pools, element reads and writes for the rest) of a node
// with validated types: an upper bound, for the folding limit only.
std::uint64_t foldingWork(const Graph& graph, const Node& node) {
  const auto numel = [&](ValueId id) -> std::uint64_t {
    return id == kNoValue ? 0 : static_cast<std::uint64_t>(graph.value(id).type.shape.numel());
  };
  std::uint64_t elements = 0;
  for (ValueId id : node.inputs) elements += numel(id);
  for (ValueId id : node.outputs) elements += numel(id);
  const std::uint64_t out = node.outputs.empty() ? 0 : numel(node.outputs[0]);
  // Saturating: each factor is at most 2^40 (validateShape), a product may not fit.
  const auto times = [](std::uint64_t a, std::uint64_t b) {
    std::uint64_t p = 0;
    return __builtin_mul_overflow(a, b, &p) ? std::numeric_limits<std::uint64_t>::max() : p;
  };
  using kernels::OpCode;
  switch (node.op) {
    case OpCode::kConv:
    case OpCode::kConvTranspose:
    case OpCode::kGemm:
    case OpCode::kMatMul: {
      std::vector<kernels::TensorType> inputs, outputs;
      for (ValueId id : node.inputs) inputs.push_back(id == kNoValue ? absentType() : graph.value(id).type);
      for (ValueId id : node.outputs) outputs.push_back(graph.value(id).type);
      // At least the elements it reads and writes (a product over an empty dimension).
      return std::max(kernels::multiplyAdds(node.op, node.params.data(), inputs, outputs), elements);
    }
    case OpCode::kMaxPool:
    case OpCode::kAveragePool: {
      const auto p = node.paramsAs<kernels::PoolParams>();
      return times(out, static_cast<std::uint64_t>(p.kernel[0]) * static_cast<std::uint64_t>(p.kernel[1]));
    }
    default: return elements;
  }
}

}  // namespace

bool foldsAtCompileTime(const Graph& graph, const Node& node) {
  if (!hasOnlyConstantInputs(graph, node)) return false;
  for (ValueId id : node.outputs) {
    if (graph.value(id).type.bytes() > kMaxFoldedBytes) return false;
  }
  return foldingWork(graph, node) <= kMaxFoldedWork;
}

Result<void> evaluateNode(Graph& graph, const Node& node) {
  const kernels::KernelVariant* variant = kernels::findVariant(node.op, 0);
  if (variant == nullptr || variant->run == nullptr) {
    return makeError(Errc::kInternal, "{}: no reference kernel for op code {}", nodeLabel(node),
                     static_cast<unsigned>(node.op));
  }
  // A zero-element tensor still needs a non-null pointer: null means "absent input".
  static std::byte emptyData[8];
  std::vector<kernels::InTensor> inputs;
  std::vector<kernels::TensorType> inputTypes;
  for (ValueId id : node.inputs) {
    kernels::InTensor in;
    if (id == kNoValue) {
      in.type = absentType();
    } else {
      const Value& v = graph.value(id);
      if (!v.isConstant || v.data.size() != v.type.bytes()) {
        return makeError(Errc::kInternal, "{}: input '{}' is not a constant of {} bytes",
                         nodeLabel(node), v.name, v.type.bytes());
      }
      in.type = v.type;
      in.data = v.data.empty() ? emptyData : v.data.data();
    }
    inputTypes.push_back(in.type);
    inputs.push_back(in);
  }
  std::vector<kernels::OutTensor> outputs;
  std::vector<kernels::TensorType> outputTypes;
  for (ValueId id : node.outputs) {
    Value& v = graph.value(id);
    v.data.assign(v.type.bytes(), std::byte{0});
    outputTypes.push_back(v.type);
    outputs.push_back({v.data.empty() ? emptyData : v.data.data(), v.type});
  }
  ScratchBuffer scratch;
  std::size_t scratchBytes = 0;
  if (variant->scratch != nullptr) {
    scratchBytes =
        static_cast<std::size_t>(variant->scratch(node.params.data(), inputTypes, outputTypes));
    if (scratchBytes > 0) {
      scratch.reset(static_cast<std::byte*>(::operator new[](scratchBytes, std::align_val_t{64})));
    }
  }
  kernels::KernelArgs args;
  args.params = node.params.data();
  args.inputs = inputs;
  args.outputs = outputs;
  args.scratch = {scratch.get(), scratchBytes};
  variant->run(args);
  for (ValueId id : node.outputs) graph.value(id).isConstant = true;
  return success();
}

std::vector<int> countConsumers(const Graph& graph) {
  std::vector<int> uses(graph.values.size(), 0);
  for (const Node& node : graph.nodes) {
    for (ValueId id : node.inputs) {
      if (id != kNoValue) ++uses[static_cast<std::size_t>(id)];
    }
  }
  return uses;
}

Result<void> verifyGraph(const Graph& graph) {
  const std::size_t n = graph.values.size();
  std::vector<bool> defined(n, false);
  std::vector<bool> produced(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const Value& v = graph.values[i];
    if (v.isConstant || v.isGraphInput) defined[i] = true;
    if (v.isConstant && v.data.size() != v.type.bytes()) {
      return makeError(Errc::kInternal, "constant '{}' holds {} bytes, its type needs {}", v.name,
                       v.data.size(), v.type.bytes());
    }
  }
  auto inRange = [n](ValueId id) { return id >= 0 && static_cast<std::size_t>(id) < n; };
  for (ValueId id : graph.inputs) {
    if (!inRange(id)) return makeError(Errc::kInternal, "graph input id {} out of range", id);
  }
  for (ValueId id : graph.outputs) {
    if (!inRange(id)) return makeError(Errc::kInternal, "graph output id {} out of range", id);
    if (!graph.value(id).isGraphOutput) {
      return makeError(Errc::kInternal, "graph output '{}' is not marked as one",
                       graph.value(id).name);
    }
  }
  for (const Node& node : graph.nodes) {
    for (ValueId id : node.inputs) {
      if (id == kNoValue) continue;
      if (!inRange(id))
        return makeError(Errc::kInternal, "{}: input id {} out of range", nodeLabel(node), id);
      if (!defined[static_cast<std::size_t>(id)]) {
        return makeError(Errc::kInternal, "{}: input '{}' is used before it is computed",
                         nodeLabel(node), graph.value(id).name);
      }
    }
    EDGERT_ASSIGN_OR_RETURN(auto types, inferNode(graph, node));
    if (types.size() != node.outputs.size()) {
      return makeError(Errc::kInternal, "{}: has {} outputs, its op has {}", nodeLabel(node),
                       node.outputs.size(), types.size());
    }
    for (std::size_t k = 0; k < types.size(); ++k) {
      const ValueId id = node.outputs[k];
      if (!inRange(id))
        return makeError(Errc::kInternal, "{}: output id {} out of range", nodeLabel(node), id);
      const Value& v = graph.value(id);
      if (produced[static_cast<std::size_t>(id)] || v.isConstant || v.isGraphInput) {
        return makeError(Errc::kInternal, "{}: output '{}' is defined more than once",
                         nodeLabel(node), v.name);
      }
      if (!(v.type == types[k])) {
        return makeError(Errc::kInternal, "{}: output '{}' has type {} {}, infer gives {} {}",
                         nodeLabel(node), v.name, kernels::dtypeName(v.type.dtype),
                         kernels::formatShape(v.type.shape), kernels::dtypeName(types[k].dtype),
                         kernels::formatShape(types[k].shape));
      }
      produced[static_cast<std::size_t>(id)] = true;
      defined[static_cast<std::size_t>(id)] = true;
    }
  }
  for (ValueId id : graph.outputs) {
    if (!defined[static_cast<std::size_t>(id)]) {
      return makeError(Errc::kInternal, "graph output '{}' is never computed",
                       graph.value(id).name);
    }
  }
  return success();
}

Result<void> foldConstants(Graph& graph) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (Node& node : graph.nodes) {
    if (foldsAtCompileTime(graph, node)) {
      EDGERT_TRY(evaluateNode(graph, node));
    } else {
      kept.push_back(std::move(node));
    }
  }
  graph.nodes = std::move(kept);
  return success();
}

}  // namespace edgert::compiler
