// The inside of the ONNX importer (onnx_import.hpp), shared by its files: the helpers
// that read ONNX tensors and attributes, and the OnnxImporter class. onnx_import.cpp holds
// the model-level work (opsets, initializers, inputs, outputs) and the services every
// translation uses (inputs, constant operands, emitting kernel nodes, binding outputs); the
// translations themselves are one file per operator family in this folder, each with the
// table of the ONNX ops it imports.
#pragma once

#include "compiler/onnx_import.hpp"

#include "compiler/passes/passes.hpp"
#include "edgert/kernels/ops.hpp"
#include "edgert/kernels/registry.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace edgert::compiler::onnx_import {

using kernels::DType;
using kernels::OpCode;
using kernels::Shape;
using kernels::TensorType;

constexpr std::int64_t kMinOpset = 7;
constexpr std::int64_t kMaxOpset = 17;
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

bool isDefaultDomain(const std::string& domain);

std::string lower(std::string s);

// --- Element types and tensor data ---------------------------------------------------------

std::string onnxTypeName(std::int32_t code);

Result<DType> dtypeFromOnnx(std::int32_t code, std::string_view what);

bool isIntegral(DType d);

// Element i of a constant, widened. Integral types go through int64 so that int64 values
// survive exactly.
std::int64_t elementAsInt(const Value& v, std::size_t i);

double elementAsDouble(const Value& v, std::size_t i);

// Stores one element converted to `dtype` (C++ conversion rules: float to int truncates).
void storeElement(std::byte* dst, DType dtype, std::int64_t asInt, double asDouble,
                  bool fromFloat);

template <typename T>
std::vector<std::byte> toBytes(std::span<const T> values) {
  std::vector<std::byte> out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::vector<std::int64_t> intsOf(const Value& v);

std::vector<float> floatsOf(const Value& v);

// Copies the typed repeated field of a TensorProto into little-endian bytes of `dtype`.
template <typename Field>
Result<std::vector<std::byte>> typedFieldBytes(const Field& field, DType dtype, std::size_t count,
                                               std::string_view what) {
  if (static_cast<std::size_t>(field.size()) != count) {
    return makeError(Errc::kSchema, "{} holds {} values, its shape needs {}", what, field.size(),
                     count);
  }
  std::vector<std::byte> out(count * kernels::dtypeSize(dtype));
  for (std::size_t i = 0; i < count; ++i) {
    const auto x = field.Get(static_cast<int>(i));
    if constexpr (std::is_floating_point_v<decltype(x)>) {
      storeElement(out.data() + i * kernels::dtypeSize(dtype), dtype, 0, x, true);
    } else {
      storeElement(out.data() + i * kernels::dtypeSize(dtype), dtype, static_cast<std::int64_t>(x),
                   0, false);
    }
  }
  return out;
}

// A TensorProto (initializer or Constant attribute) as a constant value named `name`.
Result<Value> valueFromTensor(const onnx::TensorProto& t, const std::string& name,
                              std::string_view kind);

// --- Node context and attributes -----------------------------------------------------------

struct NodeCtx {
  const onnx::NodeProto& proto;
  std::string name;    // ONNX name, or "<OpType>#<index>"
  std::int64_t opset;  // the model's default-domain opset

  std::string label() const { return fmt::format("node {} ({})", name, proto.op_type()); }
  const std::string& opType() const { return proto.op_type(); }
  const onnx::AttributeProto* attr(std::string_view key) const {
    for (const onnx::AttributeProto& a : proto.attribute()) {
      if (a.name() == key) return &a;
    }
    return nullptr;
  }
};

template <typename... Args>
Error nodeError(const NodeCtx& ctx, Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(
      code, fmt::format("{}: {}", ctx.label(), fmt::format(format, std::forward<Args>(args)...)));
}

Error unsupportedOp(const NodeCtx& ctx, std::string_view op, std::int64_t opset);

using AttrType = onnx::AttributeProto_AttributeType;

// Older exporters leave `type` unset: then the field that is filled decides.
bool attrIs(const onnx::AttributeProto& a, AttrType type);

Error attrTypeError(const NodeCtx& ctx, const onnx::AttributeProto& a, AttrType expected);

Result<std::int64_t> attrInt(const NodeCtx& ctx, std::string_view key, std::int64_t fallback);

Result<float> attrFloat(const NodeCtx& ctx, std::string_view key, float fallback);

Result<std::string> attrString(const NodeCtx& ctx, std::string_view key, std::string fallback);

using IntList = std::optional<std::vector<std::int64_t>>;
using FloatList = std::optional<std::vector<float>>;

Result<IntList> attrInts(const NodeCtx& ctx, std::string_view key);

Result<FloatList> attrFloats(const NodeCtx& ctx, std::string_view key);

// Normalizes a possibly negative axis against `rank`: [-rank, rank) -> [0, rank).
Result<int> normalizeAxis(const NodeCtx& ctx, std::int64_t axis, int rank, std::string_view what);

std::int64_t product(const Shape& s, int from, int to);

// --- Convolution and pooling windows -------------------------------------------------------

// Per spatial axis (1 or 2 of them), in ONNX order.
struct Window {
  int rank = 0;
  std::int64_t kernel[2] = {1, 1};
  std::int64_t stride[2] = {1, 1};
  std::int64_t dilation[2] = {1, 1};
  std::int64_t padBegin[2] = {0, 0};
  std::int64_t padEnd[2] = {0, 0};
};

// The spatial rank of an N, C, spatial... input: 1 or 2.
Result<int> spatialRankOf(const NodeCtx& ctx, const TensorType& x, std::string_view noun);

// A per-spatial-axis attribute list: absent -> `fallback` each; else exactly `rank` values in
// [lo, INT32_MAX].
Result<std::vector<std::int64_t>> spatialInts(const NodeCtx& ctx, std::string_view key, int rank,
                                              std::int64_t fallback, std::int64_t lo);

// kernel_shape (or the weights' spatial dims), strides and dilations.
Result<Window> readWindow(const NodeCtx& ctx, int rank,
                          std::span<const std::int64_t> weightKernel);

// Explicit `pads` ([x1_begin, x2_begin, ..., x1_end, x2_end]); absent: zeros.
Result<void> readExplicitPads(const NodeCtx& ctx, Window& w);

// Conv and pooling: auto_pad SAME_UPPER / SAME_LOWER give output = ceil(input / stride),
// the odd pixel of padding going at the end (UPPER) or the beginning (LOWER).
Result<void> resolvePads(const NodeCtx& ctx, Window& w, const Shape& x);

// Spatial axes go in the last slots of the 2-slot arrays: 1-D ops use H = 1.
template <typename P>
void fillWindow(const Window& w, P& p) {
  p.spatialRank = w.rank;
  for (int i = 0; i < w.rank; ++i) {
    const int slot = 2 - w.rank + i;
    p.kernel[slot] = static_cast<std::int32_t>(w.kernel[i]);
    p.stride[slot] = static_cast<std::int32_t>(w.stride[i]);
    p.dilation[slot] = static_cast<std::int32_t>(w.dilation[i]);
    p.padBegin[slot] = static_cast<std::int32_t>(w.padBegin[i]);
    p.padEnd[slot] = static_cast<std::int32_t>(w.padEnd[i]);
  }
}

// The entry of a family's kind table (a struct with an `onnx` name) for an ONNX op; nullptr
// when the table has none.
template <typename Entry, std::size_t N>
const Entry* findKind(const Entry (&table)[N], std::string_view onnx) {
  for (const Entry& e : table) {
    if (e.onnx == onnx) return &e;
  }
  return nullptr;
}

// --- The importer ---------------------------------------------------------------------------

class OnnxImporter {
 public:
  OnnxImporter(const onnx::ModelProto& model, const ImportOptions& options)
      : model_(model), options_(options) {}
  Result<Graph> run();

 private:
  using Handler = Result<void> (OnnxImporter::*)(const NodeCtx&);
  struct OpEntry {
    std::string_view opType;
    std::int64_t sinceOpset;  // first opset in which edgert imports the op
    std::int64_t untilOpset;  // last one
    Handler handler;
  };
  static const OpEntry* findOp(std::string_view opType);
  // Each family's ONNX ops, one line each (name, opsets, translation), in its file.
  static std::span<const OpEntry> convOps();
  static std::span<const OpEntry> elementwiseOps();
  static std::span<const OpEntry> shapeOps();
  static std::span<const OpEntry> reduceOps();
  static std::span<const OpEntry> constantOps();
  static std::span<const OpEntry> indexOps();
  static std::span<const OpEntry> normalizationOps();
  static std::span<const OpEntry> lossOps();
  static std::span<const OpEntry> einsumOps();
  // --- Model level ---------------------------------------------------------------------------
  Result<void> readOpsets();
  void collectNames();
  Result<void> readInitializers();
  const FrozenInput* frozen(const std::string& name) const;
  const Shape* shapeOverride(const std::string& name) const;
  Result<void> checkOptionNames() const;
  Result<void> readInputs();
  Result<void> addFrozenInput(const onnx::ValueInfoProto& info, const FrozenInput& f);
  Result<TensorType> inputType(const onnx::ValueInfoProto& info) const;
  static Result<Shape> resolveInputShape(const std::string& name,
                                         const onnx::TensorShapeProto& proto, const Shape* given);
  Result<void> importNodes();
  Result<void> importNode(const NodeCtx& ctx);
  Result<void> readOutputs();

  // --- Values --------------------------------------------------------------------------------

  const Value& value(ValueId id) const { return graph_.value(id); }
  const TensorType& typeOf(ValueId id) const { return graph_.value(id).type; }
  bool isUsed(const std::string& name) const { return !name.empty() && used_.count(name) != 0; }
  std::string uniqueName(const std::string& base);
  Result<void> bind(const NodeCtx& ctx, const std::string& name, ValueId id);
  // --- Node inputs ---------------------------------------------------------------------------
  Result<ValueId> optionalInput(const NodeCtx& ctx, int index) const;
  Result<ValueId> input(const NodeCtx& ctx, int index) const;
  Result<const Value*> constantInput(const NodeCtx& ctx, int index, std::string_view role) const;
  Result<IntList> constantInts(const NodeCtx& ctx, int index, std::string_view role) const;
  Result<FloatList> constantFloats(const NodeCtx& ctx, int index, std::string_view role) const;

  // --- Node outputs --------------------------------------------------------------------------

  // Adds a kernel node computing one new value named `outName`; its type comes from the op's
  // infer function. A node whose inputs are all constant is evaluated at once instead.
  template <typename P>
  Result<ValueId> emit(const NodeCtx& ctx, std::string nodeName, OpCode op, const P& params,
                       std::vector<ValueId> inputs, std::string outName) {
    std::vector<std::string> names{std::move(outName)};
    EDGERT_ASSIGN_OR_RETURN(auto ids, addNode(ctx, std::move(nodeName), op, paramBytes(params),
                                              std::move(inputs), std::move(names)));
    return ids[0];
  }

  // Every ONNX output of the node computed by one kernel op with as many outputs (Split),
  // each bound to its ONNX name. A node whose inputs are all constant is evaluated at once.
  template <typename P>
  Result<void> emitResults(const NodeCtx& ctx, OpCode op, const P& params, std::vector<ValueId> inputs) {
    return emitResultsWith(ctx, op, paramBytes(params), std::move(inputs));
  }

  template <typename P>
  static std::vector<std::byte> paramBytes(const P& params) {
    Node n;
    n.setParams(params);
    return std::move(n.params);
  }
  // What emit and emitResults share: the node (trailing absent inputs dropped), its output
  // values named `outNames` with the types its infer function gives, folded or appended.
  Result<std::vector<ValueId>> addNode(const NodeCtx& ctx, std::string nodeName, OpCode op,
                                       std::vector<std::byte> params, std::vector<ValueId> inputs,
                                       std::vector<std::string> outNames);
  Result<void> emitResultsWith(const NodeCtx& ctx, OpCode op, std::vector<std::byte> params,
                               std::vector<ValueId> inputs);

  // The node's result (ONNX output 0) computed by one kernel op named like the node.
  template <typename P>
  Result<void> emitResult(const NodeCtx& ctx, OpCode op, const P& params,
                          std::vector<ValueId> inputs) {
    EDGERT_ASSIGN_OR_RETURN(ValueId id,
                            emit(ctx, ctx.name, op, params, std::move(inputs), outputName(ctx)));
    return bind(ctx, ctx.proto.output(0), id);
  }
  std::string outputName(const NodeCtx& ctx);
  Result<void> emitConstant(const NodeCtx& ctx, TensorType type, std::vector<std::byte> data);
  // A constant the importer makes (not an ONNX value), named uniquely after `name`.
  ValueId addConstant(const std::string& name, TensorType type, std::vector<std::byte> data);
  Result<void> rejectUsedOutputs(const NodeCtx& ctx, int from, std::string_view what) const;
  Result<void> forward(const NodeCtx& ctx, ValueId x);
  // --- Convolution and pooling ---------------------------------------------------------------
  Result<void> importConv(const NodeCtx& ctx);
  Result<void> resolveTransposePads(const NodeCtx& ctx, Window& w, const Shape& x,
                                    std::vector<std::int64_t>& outputPadding);
  Result<void> importConvTranspose(const NodeCtx& ctx);
  Result<kernels::PoolParams> poolParams(const NodeCtx& ctx, ValueId x);
  Result<void> importMaxPool(const NodeCtx& ctx);
  Result<void> importAveragePool(const NodeCtx& ctx);
  Result<void> importGlobalAveragePool(const NodeCtx& ctx);
  Result<void> importBatchNorm(const NodeCtx& ctx);
  // --- Dense and elementwise -----------------------------------------------------------------
  Result<void> importGemm(const NodeCtx& ctx);
  Result<void> importMatMul(const NodeCtx& ctx);
  // The Binary and Unary families: the kind from the ONNX op's line in its table.
  Result<void> importBinary(const NodeCtx& ctx);
  Result<void> importVariadic(const NodeCtx& ctx);
  Result<void> importUnary(const NodeCtx& ctx);
  Result<void> importActivation(const NodeCtx& ctx, kernels::Activation kind, float alpha,
                                float beta);
  Result<void> importRelu(const NodeCtx& ctx);
  Result<void> importSigmoid(const NodeCtx& ctx);
  Result<void> importTanh(const NodeCtx& ctx);
  Result<void> importHardSwish(const NodeCtx& ctx);
  Result<void> importLeakyRelu(const NodeCtx& ctx);
  Result<void> importHardSigmoid(const NodeCtx& ctx);
  Result<float> clipBound(const NodeCtx& ctx, int index, std::string_view role, float fallback);
  Result<void> importClip(const NodeCtx& ctx);
  Result<void> importSoftmax(const NodeCtx& ctx);
  // --- Shapes and data movement ----------------------------------------------------------------
  Result<void> importConcat(const NodeCtx& ctx);
  Result<void> emitReshape(const NodeCtx& ctx, ValueId x, const Shape& shape);
  Result<Shape> reshapeTarget(const NodeCtx& ctx, const Shape& in,
                              const std::vector<std::int64_t>& spec, bool allowZero);
  Result<void> importReshape(const NodeCtx& ctx);
  Result<void> importFlatten(const NodeCtx& ctx);
  Result<IntList> axesOperand(const NodeCtx& ctx);
  Result<void> importSqueeze(const NodeCtx& ctx);
  Result<void> importUnsqueeze(const NodeCtx& ctx);
  Result<void> importTranspose(const NodeCtx& ctx);
  Result<void> importPad(const NodeCtx& ctx);
  static void sliceAxis(kernels::SliceParams& p, int axis, std::int64_t dim, std::int64_t start,
                        std::int64_t end, std::int64_t step);
  Result<void> importSlice(const NodeCtx& ctx);
  Result<void> importSplit(const NodeCtx& ctx);
  Result<void> importExpand(const NodeCtx& ctx);
  Result<void> importTile(const NodeCtx& ctx);
  Result<void> emitRearrange(const NodeCtx& ctx, ValueId x, const Shape& split, std::span<const std::int32_t> perm,
                             const Shape& out);
  Result<std::int64_t> blockSize(const NodeCtx& ctx, const Shape& x);
  Result<void> importDepthToSpace(const NodeCtx& ctx);
  Result<void> importSpaceToDepth(const NodeCtx& ctx);
  // --- Resize and Upsample ---------------------------------------------------------------------
  Result<kernels::ResizeMode> resizeMode(const NodeCtx& ctx);
  Result<void> applyScales(const NodeCtx& ctx, const Shape& in, const std::vector<float>& scales,
                           kernels::ResizeParams& p);
  Result<void> applySizes(const NodeCtx& ctx, const Shape& in,
                          const std::vector<std::int64_t>& sizes, kernels::ResizeParams& p);
  Result<void> emitLegacyResize(const NodeCtx& ctx, ValueId x, const std::vector<float>& scales);
  Result<kernels::CoordinateTransform> coordinateTransform(const NodeCtx& ctx);
  Result<kernels::NearestRounding> nearestRounding(const NodeCtx& ctx);
  Result<void> importResize(const NodeCtx& ctx);
  Result<void> importUpsample(const NodeCtx& ctx);
  // The Reduce family (ReduceMean, ReduceSum, ..., ArgMax, ArgMin): the kind from the ONNX op.
  Result<void> importReduce(const NodeCtx& ctx);
  // --- Compile-time ops ------------------------------------------------------------------------
  Result<void> importConstant(const NodeCtx& ctx);
  Result<void> importShape(const NodeCtx& ctx);
  Result<void> importSize(const NodeCtx& ctx);
  Result<void> importConstantOfShape(const NodeCtx& ctx);
  Result<void> importIdentity(const NodeCtx& ctx);
  Result<void> importDropout(const NodeCtx& ctx);
  Result<void> importCast(const NodeCtx& ctx);
  Result<void> importRange(const NodeCtx& ctx);
  // --- Indexing and selection ----------------------------------------------------------------
  Result<void> checkConstantIndices(const NodeCtx& ctx, ValueId indices, std::int64_t dim);
  Result<void> importGather(const NodeCtx& ctx);
  Result<void> importWhere(const NodeCtx& ctx);
  Result<void> importTopK(const NodeCtx& ctx);
  Result<void> importTrilu(const NodeCtx& ctx);
  Result<void> importNonMaxSuppression(const NodeCtx& ctx);
  // --- Normalization -------------------------------------------------------------------------
  Result<void> importLayerNorm(const NodeCtx& ctx);
  Result<void> importInstanceNorm(const NodeCtx& ctx);
  // --- Einsum (einsum_ops.cpp) ---------------------------------------------------------------
  Result<void> importEinsum(const NodeCtx& ctx);
  template <typename P>
  Result<ValueId> einsumStep(const NodeCtx& ctx, std::string_view step, OpCode op, const P& params,
                             std::vector<ValueId> inputs);
  Result<ValueId> einsumTranspose(const NodeCtx& ctx, std::string_view step, ValueId x, const std::string& from,
                                  const std::string& to);
  Result<ValueId> einsumSumOut(const NodeCtx& ctx, std::string_view step, ValueId x, std::string& letters,
                               const std::string& keep);
  Result<ValueId> einsumReshape(const NodeCtx& ctx, std::string_view step, ValueId x, const Shape& shape);
  // --- Losses --------------------------------------------------------------------------------
  Result<kernels::NllLossParams> lossParams(const NodeCtx& ctx);
  Result<void> importNllLoss(const NodeCtx& ctx);
  Result<void> importSoftmaxCrossEntropy(const NodeCtx& ctx);

  const onnx::ModelProto& model_;
  const ImportOptions& options_;
  Graph graph_;
  std::int64_t opset_ = 0;
  std::unordered_map<std::string, std::int64_t> domainOpsets_;
  std::unordered_map<std::string, ValueId> byName_;  // ONNX value name -> value
  std::unordered_set<std::string> reserved_;         // names the model or the importer uses
  std::unordered_set<std::string> used_;             // names read by a node or a graph output
  std::unordered_set<std::string> graphOutputNames_;
  // Outputs padded to a static bound (NonMaxSuppression's) -> the value counting their rows.
  std::unordered_map<std::string, ValueId> paddedCounts_;
};

}  // namespace edgert::compiler::onnx_import
