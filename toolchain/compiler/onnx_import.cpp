// ONNX import (onnx_import.hpp): model-level checks (opset, initializers, inputs and
// outputs) and the services every op's translation uses. The translations are one file per
// operator family in onnx/ (importer.hpp), each with the table of the ONNX ops it imports.
#include "compiler/onnx_import.hpp"

#include "compiler/onnx/importer.hpp"

#include <cerrno>
#include <fstream>

namespace edgert::compiler::onnx_import {


Result<Graph> OnnxImporter::run() {
  EDGERT_TRY(readOpsets());
  graph_.opset = opset_;
  graph_.producer = model_.producer_name();
  if (!model_.producer_version().empty()) graph_.producer += " " + model_.producer_version();
  collectNames();
  EDGERT_TRY(readInitializers());
  EDGERT_TRY(readInputs());
  EDGERT_TRY(importNodes());
  EDGERT_TRY(readOutputs());
  return std::move(graph_);
}



Result<void> OnnxImporter::readOpsets() {
  bool found = false;
  for (const onnx::OperatorSetIdProto& id : model_.opset_import()) {
    domainOpsets_[id.domain()] = id.version();
    if (isDefaultDomain(id.domain())) {
      opset_ = id.version();
      found = true;
    }
  }
  if (!found)
    return makeError(Errc::kUnsupported, "the model imports no opset of the default ONNX domain");
  if (opset_ < kMinOpset || opset_ > kMaxOpset) {
    return makeError(Errc::kUnsupported,
                     "the model uses ONNX opset {}; edgert-compile supports opsets {} to {}",
                     opset_, kMinOpset, kMaxOpset);
  }
  return success();
}


// Names the model itself uses, so that values the importer adds never collide with them,
// and names read by nodes or graph outputs (to tell which optional outputs are used).
void OnnxImporter::collectNames() {
  const onnx::GraphProto& g = model_.graph();
  for (const auto& t : g.initializer()) reserved_.insert(t.name());
  for (const auto& v : g.input()) reserved_.insert(v.name());
  for (const auto& v : g.output()) {
    reserved_.insert(v.name());
    used_.insert(v.name());
    graphOutputNames_.insert(v.name());
  }
  for (const auto& n : g.node()) {
    for (const auto& name : n.input()) used_.insert(name);
    for (const auto& name : n.output()) reserved_.insert(name);
  }
}


Result<void> OnnxImporter::readInitializers() {
  const onnx::GraphProto& g = model_.graph();
  if (g.sparse_initializer_size() > 0) {
    return makeError(Errc::kUnsupported, "sparse initializer '{}' is not supported",
                     g.sparse_initializer(0).values().name());
  }
  for (const onnx::TensorProto& t : g.initializer()) {
    if (byName_.count(t.name()))
      return makeError(Errc::kSchema, "initializer '{}' is defined twice", t.name());
    EDGERT_ASSIGN_OR_RETURN(Value v, valueFromTensor(t, t.name(), "initializer"));
    byName_[t.name()] = graph_.addValue(std::move(v));
  }
  return success();
}


const FrozenInput* OnnxImporter::frozen(const std::string& name) const {
  for (const FrozenInput& f : options_.frozenInputs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}


const Shape* OnnxImporter::shapeOverride(const std::string& name) const {
  for (const auto& [n, shape] : options_.inputShapes) {
    if (n == name) return &shape;
  }
  return nullptr;
}


Result<void> OnnxImporter::checkOptionNames() const {
  std::vector<std::string> inputs;
  for (const auto& v : model_.graph().input()) {
    if (!byName_.count(v.name()) || frozen(v.name())) inputs.push_back(v.name());
  }
  auto isRuntimeInput = [&inputs](const std::string& name) {
    return std::find(inputs.begin(), inputs.end(), name) != inputs.end();
  };
  for (const auto& [name, shape] : options_.inputShapes) {
    if (!isRuntimeInput(name) || frozen(name)) {
      return makeError(Errc::kInvalidArgument,
                       "--input names '{}', which is not an input of the model (inputs: {})",
                       name, fmt::join(inputs, ", "));
    }
  }
  for (const FrozenInput& f : options_.frozenInputs) {
    if (!isRuntimeInput(f.name)) {
      return makeError(Errc::kInvalidArgument,
                       "frozen input '{}' is not an input of the model (inputs: {})", f.name,
                       fmt::join(inputs, ", "));
    }
  }
  return success();
}


Result<void> OnnxImporter::readInputs() {
  EDGERT_TRY(checkOptionNames());
  for (const onnx::ValueInfoProto& info : model_.graph().input()) {
    if (byName_.count(info.name()) && !frozen(info.name())) continue;  // an initializer: constant
    if (const FrozenInput* f = frozen(info.name())) {
      EDGERT_TRY(addFrozenInput(info, *f));
      continue;
    }
    EDGERT_ASSIGN_OR_RETURN(TensorType type, inputType(info));
    Value v;
    v.name = info.name();
    v.type = type;
    v.isGraphInput = true;
    const ValueId id = graph_.addValue(std::move(v));
    byName_[info.name()] = id;
    graph_.inputs.push_back(id);
  }
  return success();
}


Result<void> OnnxImporter::addFrozenInput(const onnx::ValueInfoProto& info, const FrozenInput& f) {
  if (f.data.size() != f.type.bytes()) {
    return makeError(Errc::kInvalidArgument,
                     "frozen input '{}' has {} bytes, its type {} {} needs {}", f.name,
                     f.data.size(), kernels::dtypeName(f.type.dtype),
                     kernels::formatShape(f.type.shape), f.type.bytes());
  }
  const auto& tt = info.type().tensor_type();
  if (tt.has_elem_type() && tt.elem_type() != static_cast<std::int32_t>(f.type.dtype)) {
    return makeError(Errc::kInvalidArgument, "frozen input '{}' is {}, the model declares {}",
                     f.name, kernels::dtypeName(f.type.dtype), onnxTypeName(tt.elem_type()));
  }
  Value v;
  v.name = f.name;
  v.type = f.type;
  v.data = f.data;
  v.isConstant = true;
  byName_[f.name] = graph_.addValue(std::move(v));
  return success();
}


// The static type of a runtime graph input: the model's shape, with --input filling (and
// agreeing with) it.
Result<TensorType> OnnxImporter::inputType(const onnx::ValueInfoProto& info) const {
  const std::string& name = info.name();
  if (!info.type().has_tensor_type()) {
    return makeError(Errc::kUnsupported, "input '{}' is not a tensor", name);
  }
  const auto& tt = info.type().tensor_type();
  TensorType type;
  EDGERT_ASSIGN_OR_RETURN(type.dtype,
                          dtypeFromOnnx(tt.elem_type(), fmt::format("input '{}'", name)));
  const Shape* given = shapeOverride(name);
  if (!tt.has_shape()) {
    if (given == nullptr) {
      return makeError(Errc::kInvalidArgument,
                       "input '{}' has no shape in the model; give it with --input {}=<dims> "
                       "(e.g. 1x3x224x224)",
                       name, name);
    }
    type.shape = *given;
  } else {
    EDGERT_ASSIGN_OR_RETURN(type.shape, resolveInputShape(name, tt.shape(), given));
  }
  EDGERT_TRY(kernels::validateShape(type.shape, fmt::format("input '{}'", name)));
  return type;
}


Result<Shape> OnnxImporter::resolveInputShape(const std::string& name,
                                       const onnx::TensorShapeProto& proto, const Shape* given) {
  if (proto.dim_size() > kernels::kMaxRank) {
    return makeError(Errc::kUnsupported, "input '{}' has rank {}; edgert supports up to {}", name,
                     proto.dim_size(), kernels::kMaxRank);
  }
  Shape model;  // static dims; dynamic ones 1 (for the suggestion)
  model.rank = proto.dim_size();
  int firstDynamic = -1;
  for (int i = 0; i < proto.dim_size(); ++i) {
    const auto& d = proto.dim(i);
    const bool isStatic = d.has_dim_value() && d.dim_value() >= 0;
    model.dims[i] = isStatic ? d.dim_value() : 1;
    if (!isStatic && firstDynamic < 0) firstDynamic = i;
  }
  if (given != nullptr) {
    if (given->rank != model.rank) {
      return makeError(Errc::kInvalidArgument,
                       "--input {}={} has rank {}, the model's input has rank {}", name,
                       kernels::formatShape(*given), given->rank, model.rank);
    }
    for (int i = 0; i < model.rank; ++i) {
      const auto& d = proto.dim(i);
      if (d.has_dim_value() && d.dim_value() >= 0 && d.dim_value() != given->dims[i]) {
        return makeError(Errc::kInvalidArgument,
                         "--input {}={} does not match the model: axis {} is {} in the model",
                         name, kernels::formatShape(*given), i, d.dim_value());
      }
    }
    return *given;
  }
  if (firstDynamic >= 0) {
    const auto& d = proto.dim(firstDynamic);
    const std::string dimName = d.has_dim_param() && !d.dim_param().empty() ? d.dim_param() : "?";
    // Only the batch axis dynamic: suggest batch 1. Otherwise show which sizes are missing.
    std::string pattern;
    bool onlyBatch = true;
    for (int i = 0; i < model.rank; ++i) {
      const auto& di = proto.dim(i);
      const bool isStatic = di.has_dim_value() && di.dim_value() > 0;
      if (!isStatic && i > 0) onlyBatch = false;
      pattern += (i ? "x" : "") + (isStatic ? std::to_string(di.dim_value()) : std::string("?"));
    }
    if (onlyBatch) {
      return makeError(Errc::kInvalidArgument,
                       "input '{}' has dynamic dimension '{}' at axis {}; fix it with --input {}={}",
                       name, dimName, firstDynamic, name, kernels::formatShape(model));
    }
    return makeError(Errc::kInvalidArgument,
                     "input '{}' has dynamic dimension '{}' at axis {}; fix it with --input {}={} "
                     "giving every '?' a size",
                     name, dimName, firstDynamic, name, pattern);
  }
  return model;
}


Result<void> OnnxImporter::importNodes() {
  const onnx::GraphProto& g = model_.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& proto = g.node(i);
    NodeCtx ctx{proto,
                proto.name().empty() ? fmt::format("{}#{}", proto.op_type(), i) : proto.name(),
                opset_};
    EDGERT_TRY(importNode(ctx));
  }
  return success();
}


Result<void> OnnxImporter::importNode(const NodeCtx& ctx) {
  if (!isDefaultDomain(ctx.proto.domain())) {
    const auto it = domainOpsets_.find(ctx.proto.domain());
    return unsupportedOp(ctx, fmt::format("{}.{}", ctx.proto.domain(), ctx.opType()),
                         it == domainOpsets_.end() ? 0 : it->second);
  }
  const OpEntry* entry = findOp(ctx.opType());
  if (entry == nullptr || ctx.opset < entry->sinceOpset || ctx.opset > entry->untilOpset) {
    return unsupportedOp(ctx, ctx.opType(), ctx.opset);
  }
  // Every operator edgert imports has a first output, and the handlers bind it.
  if (ctx.proto.output_size() == 0 || ctx.proto.output(0).empty()) {
    return nodeError(ctx, Errc::kSchema, "has no output (its first output needs a name)");
  }
  return (this->*entry->handler)(ctx);
}


Result<void> OnnxImporter::readOutputs() {
  for (const onnx::ValueInfoProto& info : model_.graph().output()) {
    const auto it = byName_.find(info.name());
    if (it == byName_.end()) {
      return makeError(Errc::kSchema, "graph output '{}' is not computed by any node",
                       info.name());
    }
    graph_.value(it->second).isGraphOutput = true;
    graph_.outputs.push_back(it->second);
    if (const auto count = paddedCounts_.find(info.name()); count != paddedCounts_.end()) {
      graph_.value(count->second).isGraphOutput = true;
      graph_.outputs.push_back(count->second);
    }
  }
  return success();
}


// A name for a value the importer adds (lowering), unused by the model and by earlier ones.
Result<std::vector<ValueId>> OnnxImporter::addNode(const NodeCtx& ctx, std::string nodeName, OpCode op,
                                                   std::vector<std::byte> params, std::vector<ValueId> inputs,
                                                   std::vector<std::string> outNames) {
  while (!inputs.empty() && inputs.back() == kNoValue) inputs.pop_back();
  Node node;
  node.name = std::move(nodeName);
  node.onnxOp = ctx.opType();
  node.op = op;
  node.params = std::move(params);
  node.inputs = std::move(inputs);
  EDGERT_ASSIGN_OR_RETURN(auto types, inferNode(graph_, node, outNames.size()));
  for (std::size_t i = 0; i < outNames.size(); ++i) {
    Value out;
    out.name = std::move(outNames[i]);
    out.type = types[i];
    node.outputs.push_back(graph_.addValue(std::move(out)));
  }
  std::vector<ValueId> ids = node.outputs;
  if (foldsAtCompileTime(graph_, node)) {
    EDGERT_TRY(evaluateNode(graph_, node));
  } else {
    graph_.nodes.push_back(std::move(node));
  }
  return ids;
}

Result<void> OnnxImporter::emitResultsWith(const NodeCtx& ctx, OpCode op, std::vector<std::byte> params,
                                           std::vector<ValueId> inputs) {
  std::vector<std::string> names;
  for (int i = 0; i < ctx.proto.output_size(); ++i) {
    const std::string& name = ctx.proto.output(i);
    names.push_back(name.empty() ? uniqueName(fmt::format("{}/out{}", ctx.name, i)) : name);
  }
  EDGERT_ASSIGN_OR_RETURN(auto ids, addNode(ctx, ctx.name, op, std::move(params), std::move(inputs), std::move(names)));
  for (int i = 0; i < ctx.proto.output_size(); ++i) {
    if (!ctx.proto.output(i).empty()) {
      EDGERT_TRY(bind(ctx, ctx.proto.output(i), ids[static_cast<std::size_t>(i)]));
    }
  }
  return success();
}

ValueId OnnxImporter::addConstant(const std::string& name, TensorType type, std::vector<std::byte> data) {
  Value v;
  v.name = uniqueName(name);
  v.type = type;
  v.data = std::move(data);
  v.isConstant = true;
  return graph_.addValue(std::move(v));
}

std::string OnnxImporter::uniqueName(const std::string& base) {
  std::string name = base;
  for (int i = 1; reserved_.count(name); ++i) name = fmt::format("{}_{}", base, i);
  reserved_.insert(name);
  return name;
}


Result<void> OnnxImporter::bind(const NodeCtx& ctx, const std::string& name, ValueId id) {
  if (name.empty()) return success();
  if (!byName_.emplace(name, id).second) {
    return nodeError(ctx, Errc::kSchema, "output '{}' is already defined earlier in the graph",
                     name);
  }
  return success();
}



Result<ValueId> OnnxImporter::optionalInput(const NodeCtx& ctx, int index) const {
  if (index >= ctx.proto.input_size() || ctx.proto.input(index).empty()) return kNoValue;
  const std::string& name = ctx.proto.input(index);
  const auto it = byName_.find(name);
  if (it == byName_.end()) {
    return nodeError(
        ctx, Errc::kSchema,
        "input '{}' is not a graph input, an initializer or the output of an earlier node", name);
  }
  return it->second;
}


Result<ValueId> OnnxImporter::input(const NodeCtx& ctx, int index) const {
  EDGERT_ASSIGN_OR_RETURN(ValueId id, optionalInput(ctx, index));
  if (id == kNoValue) return nodeError(ctx, Errc::kSchema, "required input {} is missing", index);
  return id;
}


// An operand edgert needs at compile time. nullptr when absent (optional).
Result<const Value*> OnnxImporter::constantInput(const NodeCtx& ctx, int index, std::string_view role) const {
  EDGERT_ASSIGN_OR_RETURN(ValueId id, optionalInput(ctx, index));
  if (id == kNoValue) return static_cast<const Value*>(nullptr);
  const Value& v = value(id);
  if (!v.isConstant) {
    return nodeError(
        ctx, Errc::kUnsupported,
        "the {} operand '{}' must be a constant (computable at compile time), but it depends on "
        "runtime data",
        role, v.name);
  }
  return &v;
}


Result<IntList> OnnxImporter::constantInts(const NodeCtx& ctx, int index, std::string_view role) const {
  EDGERT_ASSIGN_OR_RETURN(const Value* v, constantInput(ctx, index, role));
  if (v == nullptr) return IntList{};
  if (!isIntegral(v->type.dtype) || v->type.shape.rank > 1) {
    return nodeError(
        ctx, Errc::kSchema, "the {} operand '{}' should be a 1-D integer tensor, found {} {}",
        role, v->name, kernels::dtypeName(v->type.dtype), kernels::formatShape(v->type.shape));
  }
  return IntList{intsOf(*v)};
}


Result<FloatList> OnnxImporter::constantFloats(const NodeCtx& ctx, int index, std::string_view role) const {
  EDGERT_ASSIGN_OR_RETURN(const Value* v, constantInput(ctx, index, role));
  if (v == nullptr) return FloatList{};
  if (v->type.shape.rank > 1) {
    return nodeError(ctx, Errc::kSchema, "the {} operand '{}' should be 1-D, found {}", role,
                     v->name, kernels::formatShape(v->type.shape));
  }
  return FloatList{floatsOf(*v)};
}


std::string OnnxImporter::outputName(const NodeCtx& ctx) {
  if (ctx.proto.output_size() > 0 && !ctx.proto.output(0).empty()) return ctx.proto.output(0);
  return uniqueName(ctx.name + "/out");
}


Result<void> OnnxImporter::emitConstant(const NodeCtx& ctx, TensorType type, std::vector<std::byte> data) {
  if (data.size() != type.bytes()) {
    return nodeError(ctx, Errc::kInternal, "constant has {} bytes, its type needs {}",
                     data.size(), type.bytes());
  }
  EDGERT_TRY(kernels::validateShape(type.shape, ctx.label()));
  Value v;
  v.name = outputName(ctx);
  v.type = type;
  v.data = std::move(data);
  v.isConstant = true;
  return bind(ctx, ctx.proto.output(0), graph_.addValue(std::move(v)));
}


Result<void> OnnxImporter::rejectUsedOutputs(const NodeCtx& ctx, int from, std::string_view what) const {
  for (int i = from; i < ctx.proto.output_size(); ++i) {
    if (isUsed(ctx.proto.output(i))) {
      return nodeError(ctx, Errc::kUnsupported, "{} (output '{}') is not supported", what,
                       ctx.proto.output(i));
    }
  }
  return success();
}


// Output 0 is input `x` unchanged. Graph outputs get a copy so that they keep their
// ONNX name; other uses just refer to `x`.
Result<void> OnnxImporter::forward(const NodeCtx& ctx, ValueId x) {
  const std::string& out = ctx.proto.output(0);
  if (!graphOutputNames_.count(out)) return bind(ctx, out, x);
  kernels::ReshapeParams p;
  p.shape = typeOf(x).shape;
  return emitResult(ctx, OpCode::kReshape, p, {x});
}

const OnnxImporter::OpEntry* OnnxImporter::findOp(std::string_view opType) {
  for (std::span<const OpEntry> family :
       {convOps(), elementwiseOps(), shapeOps(), reduceOps(), constantOps(), indexOps(), normalizationOps(),
        lossOps(), einsumOps()}) {
    for (const OpEntry& e : family) {
      if (e.opType == opType) return &e;
    }
  }
  return nullptr;
}

}  // namespace edgert::compiler::onnx_import

namespace edgert::compiler {

using onnx_import::OnnxImporter;

Result<Graph> importOnnxModel(const onnx::ModelProto& model, const ImportOptions& options) {
  return OnnxImporter(model, options).run();
}

Result<Graph> importOnnxFile(const std::string& path, const ImportOptions& options) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error::fromErrno(errno, fmt::format("open {}", path));
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&file)) {
    return makeError(Errc::kParse, "{}: not a valid ONNX model (protobuf parsing failed)", path);
  }
  return importOnnxModel(model, options);
}

}  // namespace edgert::compiler
