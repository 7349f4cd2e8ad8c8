// ONNX import (see onnx_import.hpp): model-level checks (opset, initializers, inputs and
// outputs), then one translation function per ONNX op, listed in kOnnxOps at the end.
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
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace edgert::compiler {
namespace {

using kernels::DType;
using kernels::OpCode;
using kernels::Shape;
using kernels::TensorType;

constexpr std::int64_t kMinOpset = 7;
constexpr std::int64_t kMaxOpset = 17;
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

bool isDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// --- Element types and tensor data ---------------------------------------------------------

std::string onnxTypeName(std::int32_t code) {
  if (!onnx::TensorProto_DataType_IsValid(code)) return fmt::format("{}", code);
  return lower(onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(code)));
}

Result<DType> dtypeFromOnnx(std::int32_t code, std::string_view what) {
  switch (code) {
    case onnx::TensorProto::FLOAT: return DType::kFloat32;
    case onnx::TensorProto::UINT8: return DType::kUint8;
    case onnx::TensorProto::INT8: return DType::kInt8;
    case onnx::TensorProto::INT32: return DType::kInt32;
    case onnx::TensorProto::INT64: return DType::kInt64;
    case onnx::TensorProto::BOOL: return DType::kBool;
    default: break;
  }
  return makeError(
      Errc::kUnsupported,
      "{} has element type {}; edgert supports float32, uint8, int8, int32, int64 and bool", what,
      onnxTypeName(code));
}

bool isIntegral(DType d) {
  return d == DType::kInt64 || d == DType::kInt32 || d == DType::kInt8 || d == DType::kUint8 ||
         d == DType::kBool;
}

// Element i of a constant, widened. Integral types go through int64 so that int64 values
// survive exactly.
std::int64_t elementAsInt(const Value& v, std::size_t i) {
  const std::byte* p = v.data.data();
  switch (v.type.dtype) {
    case DType::kInt64: {
      std::int64_t x;
      std::memcpy(&x, p + i * 8, 8);
      return x;
    }
    case DType::kInt32: {
      std::int32_t x;
      std::memcpy(&x, p + i * 4, 4);
      return x;
    }
    case DType::kInt8: return static_cast<std::int8_t>(p[i]);
    case DType::kUint8: return static_cast<std::uint8_t>(p[i]);
    case DType::kBool: return p[i] != std::byte{0} ? 1 : 0;
    case DType::kFloat32: {
      float x;
      std::memcpy(&x, p + i * 4, 4);
      return static_cast<std::int64_t>(x);
    }
  }
  return 0;
}

double elementAsDouble(const Value& v, std::size_t i) {
  if (v.type.dtype == DType::kFloat32) {
    float x;
    std::memcpy(&x, v.data.data() + i * 4, 4);
    return x;
  }
  return static_cast<double>(elementAsInt(v, i));
}

// Stores one element converted to `dtype` (C++ conversion rules: float to int truncates).
void storeElement(std::byte* dst, DType dtype, std::int64_t asInt, double asDouble,
                  bool fromFloat) {
  switch (dtype) {
    case DType::kFloat32: {
      const float x = fromFloat ? static_cast<float>(asDouble) : static_cast<float>(asInt);
      std::memcpy(dst, &x, 4);
      return;
    }
    case DType::kInt64: {
      const std::int64_t x = fromFloat ? static_cast<std::int64_t>(asDouble) : asInt;
      std::memcpy(dst, &x, 8);
      return;
    }
    case DType::kInt32: {
      const auto x =
          static_cast<std::int32_t>(fromFloat ? static_cast<std::int64_t>(asDouble) : asInt);
      std::memcpy(dst, &x, 4);
      return;
    }
    case DType::kInt8:
      *dst = static_cast<std::byte>(
          static_cast<std::int8_t>(fromFloat ? static_cast<std::int64_t>(asDouble) : asInt));
      return;
    case DType::kUint8:
      *dst = static_cast<std::byte>(
          static_cast<std::uint8_t>(fromFloat ? static_cast<std::int64_t>(asDouble) : asInt));
      return;
    case DType::kBool:
      *dst =
          std::byte{static_cast<unsigned char>((fromFloat ? asDouble != 0.0 : asInt != 0) ? 1 : 0)};
      return;
  }
}

template <typename T>
std::vector<std::byte> toBytes(std::span<const T> values) {
  std::vector<std::byte> out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::vector<std::int64_t> intsOf(const Value& v) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(v.type.shape.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = elementAsInt(v, i);
  return out;
}

std::vector<float> floatsOf(const Value& v) {
  std::vector<float> out(static_cast<std::size_t>(v.type.shape.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(elementAsDouble(v, i));
  return out;
}

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
                              std::string_view kind) {
  const std::string what = fmt::format("{} '{}'", kind, name);
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
    return makeError(Errc::kUnsupported,
                     "{} keeps its data in an external file; edgert-compile reads self-contained "
                     "models (save the model without external data)",
                     what);
  }
  if (t.has_segment()) return makeError(Errc::kUnsupported, "{} is segmented; not supported", what);
  EDGERT_ASSIGN_OR_RETURN(DType dtype, dtypeFromOnnx(t.data_type(), what));
  if (t.dims_size() > kernels::kMaxRank) {
    return makeError(Errc::kUnsupported, "{} has rank {}; edgert supports up to {}", what,
                     t.dims_size(), kernels::kMaxRank);
  }
  Value v;
  v.name = name;
  v.type.dtype = dtype;
  for (std::int64_t d : t.dims()) {
    if (d < 0) return makeError(Errc::kSchema, "{} has negative dimension {}", what, d);
    v.type.shape.dims[v.type.shape.rank++] = d;
  }
  EDGERT_TRY(kernels::validateShape(v.type.shape, what));
  v.isConstant = true;
  const std::size_t count = static_cast<std::size_t>(v.type.shape.numel());
  if (t.has_raw_data()) {
    if (t.raw_data().size() != v.type.bytes()) {
      return makeError(Errc::kSchema, "{}: raw_data holds {} bytes, shape {} of {} needs {}", what,
                       t.raw_data().size(), kernels::formatShape(v.type.shape),
                       kernels::dtypeName(dtype), v.type.bytes());
    }
    v.data.resize(v.type.bytes());
    if (!v.data.empty()) std::memcpy(v.data.data(), t.raw_data().data(), v.data.size());
    return v;
  }
  Result<std::vector<std::byte>> bytes = std::vector<std::byte>{};
  switch (dtype) {
    case DType::kFloat32: bytes = typedFieldBytes(t.float_data(), dtype, count, what); break;
    case DType::kInt64: bytes = typedFieldBytes(t.int64_data(), dtype, count, what); break;
    default: bytes = typedFieldBytes(t.int32_data(), dtype, count, what); break;
  }
  if (!bytes) return std::move(bytes).error();
  v.data = std::move(*bytes);
  return v;
}

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

Error unsupportedOp(const NodeCtx& ctx, std::string_view op, std::int64_t opset) {
  return Error(Errc::kUnsupported,
               fmt::format("unsupported operator {} (opset {}) at node {}", op, opset, ctx.name));
}

using AttrType = onnx::AttributeProto_AttributeType;

// Older exporters leave `type` unset: then the field that is filled decides.
bool attrIs(const onnx::AttributeProto& a, AttrType type) {
  if (a.type() == type) return true;
  if (a.type() != onnx::AttributeProto::UNDEFINED) return false;
  switch (type) {
    case onnx::AttributeProto::INT: return a.has_i();
    case onnx::AttributeProto::FLOAT: return a.has_f();
    case onnx::AttributeProto::STRING: return a.has_s();
    case onnx::AttributeProto::TENSOR: return a.has_t();
    case onnx::AttributeProto::INTS: return a.ints_size() > 0;
    case onnx::AttributeProto::FLOATS: return a.floats_size() > 0;
    default: return false;
  }
}

Error attrTypeError(const NodeCtx& ctx, const onnx::AttributeProto& a, AttrType expected) {
  return nodeError(ctx, Errc::kSchema, "attribute '{}' should be {}, found {}", a.name(),
                   onnx::AttributeProto_AttributeType_Name(expected),
                   onnx::AttributeProto_AttributeType_Name(a.type()));
}

Result<std::int64_t> attrInt(const NodeCtx& ctx, std::string_view key, std::int64_t fallback) {
  const onnx::AttributeProto* a = ctx.attr(key);
  if (a == nullptr) return fallback;
  if (!attrIs(*a, onnx::AttributeProto::INT))
    return attrTypeError(ctx, *a, onnx::AttributeProto::INT);
  return a->i();
}

Result<float> attrFloat(const NodeCtx& ctx, std::string_view key, float fallback) {
  const onnx::AttributeProto* a = ctx.attr(key);
  if (a == nullptr) return fallback;
  if (!attrIs(*a, onnx::AttributeProto::FLOAT))
    return attrTypeError(ctx, *a, onnx::AttributeProto::FLOAT);
  return a->f();
}

Result<std::string> attrString(const NodeCtx& ctx, std::string_view key, std::string fallback) {
  const onnx::AttributeProto* a = ctx.attr(key);
  if (a == nullptr) return fallback;
  if (!attrIs(*a, onnx::AttributeProto::STRING))
    return attrTypeError(ctx, *a, onnx::AttributeProto::STRING);
  return a->s();
}

using IntList = std::optional<std::vector<std::int64_t>>;
using FloatList = std::optional<std::vector<float>>;

Result<IntList> attrInts(const NodeCtx& ctx, std::string_view key) {
  const onnx::AttributeProto* a = ctx.attr(key);
  if (a == nullptr) return IntList{};
  if (!attrIs(*a, onnx::AttributeProto::INTS))
    return attrTypeError(ctx, *a, onnx::AttributeProto::INTS);
  return IntList{std::vector<std::int64_t>(a->ints().begin(), a->ints().end())};
}

Result<FloatList> attrFloats(const NodeCtx& ctx, std::string_view key) {
  const onnx::AttributeProto* a = ctx.attr(key);
  if (a == nullptr) return FloatList{};
  if (!attrIs(*a, onnx::AttributeProto::FLOATS))
    return attrTypeError(ctx, *a, onnx::AttributeProto::FLOATS);
  return FloatList{std::vector<float>(a->floats().begin(), a->floats().end())};
}

// Normalizes a possibly negative axis against `rank`: [-rank, rank) -> [0, rank).
Result<int> normalizeAxis(const NodeCtx& ctx, std::int64_t axis, int rank, std::string_view what) {
  if (axis < -rank || axis >= rank) {
    return nodeError(ctx, Errc::kInvalidArgument, "{} {} is out of range for rank {}", what, axis,
                     rank);
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::int64_t product(const Shape& s, int from, int to) {
  std::int64_t n = 1;
  for (int i = from; i < to; ++i) n *= s.dims[i];
  return n;
}

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
Result<int> spatialRankOf(const NodeCtx& ctx, const TensorType& x, std::string_view noun) {
  if (x.shape.rank == 3) return 1;
  if (x.shape.rank == 4) return 2;
  if (x.shape.rank == 5) {
    return nodeError(ctx, Errc::kUnsupported,
                     "3-D {} is not supported (input {}); edgert supports 1-D and 2-D", noun,
                     kernels::formatShape(x.shape));
  }
  return nodeError(ctx, Errc::kInvalidArgument,
                   "expects an N x C x spatial input of rank 3 or 4, found {}",
                   kernels::formatShape(x.shape));
}

// A per-spatial-axis attribute list: absent -> `fallback` each; else exactly `rank` values in
// [lo, INT32_MAX].
Result<std::vector<std::int64_t>> spatialInts(const NodeCtx& ctx, std::string_view key, int rank,
                                              std::int64_t fallback, std::int64_t lo) {
  EDGERT_ASSIGN_OR_RETURN(IntList list, attrInts(ctx, key));
  if (!list) return std::vector<std::int64_t>(static_cast<std::size_t>(rank), fallback);
  if (static_cast<int>(list->size()) != rank) {
    return nodeError(ctx, Errc::kSchema,
                     "attribute '{}' has {} values, expected {} (one per spatial axis)", key,
                     list->size(), rank);
  }
  for (std::int64_t v : *list) {
    if (v < lo || v > kInt32Max) {
      return nodeError(ctx, Errc::kInvalidArgument, "attribute '{}' value {} is outside {}..{}",
                       key, v, lo, kInt32Max);
    }
  }
  return *list;
}

// kernel_shape (or the weights' spatial dims), strides and dilations.
Result<Window> readWindow(const NodeCtx& ctx, int rank,
                          std::span<const std::int64_t> weightKernel) {
  Window w;
  w.rank = rank;
  EDGERT_ASSIGN_OR_RETURN(IntList kernelAttr, attrInts(ctx, "kernel_shape"));
  if (!kernelAttr && weightKernel.empty()) {
    return nodeError(ctx, Errc::kSchema, "attribute 'kernel_shape' is missing");
  }
  EDGERT_ASSIGN_OR_RETURN(auto kernel, spatialInts(ctx, "kernel_shape", rank, 1, 1));
  EDGERT_ASSIGN_OR_RETURN(auto strides, spatialInts(ctx, "strides", rank, 1, 1));
  EDGERT_ASSIGN_OR_RETURN(auto dilations, spatialInts(ctx, "dilations", rank, 1, 1));
  for (int i = 0; i < rank; ++i) {
    const auto s = static_cast<std::size_t>(i);
    if (!weightKernel.empty()) {
      if (kernelAttr && kernel[s] != weightKernel[s]) {
        return nodeError(ctx, Errc::kInvalidArgument,
                         "kernel_shape[{}] is {} but the weights have {}", i, kernel[s],
                         weightKernel[s]);
      }
      if (weightKernel[s] < 1 || weightKernel[s] > kInt32Max) {
        return nodeError(ctx, Errc::kInvalidArgument, "weights have kernel size {}",
                         weightKernel[s]);
      }
      kernel[s] = weightKernel[s];
    }
    w.kernel[i] = kernel[s];
    w.stride[i] = strides[s];
    w.dilation[i] = dilations[s];
  }
  return w;
}

// Explicit `pads` ([x1_begin, x2_begin, ..., x1_end, x2_end]); absent: zeros.
Result<void> readExplicitPads(const NodeCtx& ctx, Window& w) {
  EDGERT_ASSIGN_OR_RETURN(IntList pads, attrInts(ctx, "pads"));
  if (!pads) return success();
  if (static_cast<int>(pads->size()) != 2 * w.rank) {
    return nodeError(ctx, Errc::kSchema, "attribute 'pads' has {} values, expected {}",
                     pads->size(), 2 * w.rank);
  }
  for (int i = 0; i < w.rank; ++i) {
    const std::int64_t b = (*pads)[static_cast<std::size_t>(i)];
    const std::int64_t e = (*pads)[static_cast<std::size_t>(i + w.rank)];
    if (b < 0 || e < 0 || b > kInt32Max || e > kInt32Max) {
      return nodeError(ctx, Errc::kInvalidArgument, "pads [{}] are outside 0..{}",
                       fmt::join(*pads, ", "), kInt32Max);
    }
    w.padBegin[i] = b;
    w.padEnd[i] = e;
  }
  return success();
}

// Conv and pooling: auto_pad SAME_UPPER / SAME_LOWER give output = ceil(input / stride),
// the odd pixel of padding going at the end (UPPER) or the beginning (LOWER).
Result<void> resolvePads(const NodeCtx& ctx, Window& w, const Shape& x) {
  EDGERT_ASSIGN_OR_RETURN(std::string autoPad, attrString(ctx, "auto_pad", "NOTSET"));
  if (autoPad == "NOTSET") return readExplicitPads(ctx, w);
  if (autoPad == "VALID") return success();
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    return nodeError(ctx, Errc::kSchema,
                     "auto_pad '{}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", autoPad);
  }
  for (int i = 0; i < w.rank; ++i) {
    const std::int64_t in = x.dims[2 + i];
    const std::int64_t out = (in + w.stride[i] - 1) / w.stride[i];
    const std::int64_t span = (w.kernel[i] - 1) * w.dilation[i] + 1;
    const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * w.stride[i] + span - in);
    const std::int64_t small = total / 2;
    w.padBegin[i] = autoPad == "SAME_UPPER" ? small : total - small;
    w.padEnd[i] = total - w.padBegin[i];
  }
  return success();
}

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

// --- The importer ---------------------------------------------------------------------------

class OnnxImporter {
 public:
  OnnxImporter(const onnx::ModelProto& model, const ImportOptions& options)
      : model_(model), options_(options) {}

  Result<Graph> run() {
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

 private:
  using Handler = Result<void> (OnnxImporter::*)(const NodeCtx&);
  struct OpEntry {
    std::string_view opType;
    std::int64_t sinceOpset;  // first opset in which edgert imports the op
    std::int64_t untilOpset;  // last one
    Handler handler;
  };
  static const OpEntry* findOp(std::string_view opType);

  // --- Model level ---------------------------------------------------------------------------

  Result<void> readOpsets() {
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
  void collectNames() {
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

  Result<void> readInitializers() {
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

  const FrozenInput* frozen(const std::string& name) const {
    for (const FrozenInput& f : options_.frozenInputs) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  const Shape* shapeOverride(const std::string& name) const {
    for (const auto& [n, shape] : options_.inputShapes) {
      if (n == name) return &shape;
    }
    return nullptr;
  }

  Result<void> checkOptionNames() const {
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

  Result<void> readInputs() {
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

  Result<void> addFrozenInput(const onnx::ValueInfoProto& info, const FrozenInput& f) {
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
  Result<TensorType> inputType(const onnx::ValueInfoProto& info) const {
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

  static Result<Shape> resolveInputShape(const std::string& name,
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

  Result<void> importNodes() {
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

  Result<void> importNode(const NodeCtx& ctx) {
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

  Result<void> readOutputs() {
    for (const onnx::ValueInfoProto& info : model_.graph().output()) {
      const auto it = byName_.find(info.name());
      if (it == byName_.end()) {
        return makeError(Errc::kSchema, "graph output '{}' is not computed by any node",
                         info.name());
      }
      graph_.value(it->second).isGraphOutput = true;
      graph_.outputs.push_back(it->second);
    }
    return success();
  }

  // --- Values --------------------------------------------------------------------------------

  const Value& value(ValueId id) const { return graph_.value(id); }
  const TensorType& typeOf(ValueId id) const { return graph_.value(id).type; }
  bool isUsed(const std::string& name) const { return !name.empty() && used_.count(name) != 0; }

  // A name for a value the importer adds (lowering), unused by the model and by earlier ones.
  std::string uniqueName(const std::string& base) {
    std::string name = base;
    for (int i = 1; reserved_.count(name); ++i) name = fmt::format("{}_{}", base, i);
    reserved_.insert(name);
    return name;
  }

  Result<void> bind(const NodeCtx& ctx, const std::string& name, ValueId id) {
    if (name.empty()) return success();
    if (!byName_.emplace(name, id).second) {
      return nodeError(ctx, Errc::kSchema, "output '{}' is already defined earlier in the graph",
                       name);
    }
    return success();
  }

  // --- Node inputs ---------------------------------------------------------------------------

  Result<ValueId> optionalInput(const NodeCtx& ctx, int index) const {
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

  Result<ValueId> input(const NodeCtx& ctx, int index) const {
    EDGERT_ASSIGN_OR_RETURN(ValueId id, optionalInput(ctx, index));
    if (id == kNoValue) return nodeError(ctx, Errc::kSchema, "required input {} is missing", index);
    return id;
  }

  // An operand edgert needs at compile time. nullptr when absent (optional).
  Result<const Value*> constantInput(const NodeCtx& ctx, int index, std::string_view role) const {
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

  Result<IntList> constantInts(const NodeCtx& ctx, int index, std::string_view role) const {
    EDGERT_ASSIGN_OR_RETURN(const Value* v, constantInput(ctx, index, role));
    if (v == nullptr) return IntList{};
    if (!isIntegral(v->type.dtype) || v->type.shape.rank > 1) {
      return nodeError(
          ctx, Errc::kSchema, "the {} operand '{}' should be a 1-D integer tensor, found {} {}",
          role, v->name, kernels::dtypeName(v->type.dtype), kernels::formatShape(v->type.shape));
    }
    return IntList{intsOf(*v)};
  }

  Result<FloatList> constantFloats(const NodeCtx& ctx, int index, std::string_view role) const {
    EDGERT_ASSIGN_OR_RETURN(const Value* v, constantInput(ctx, index, role));
    if (v == nullptr) return FloatList{};
    if (v->type.shape.rank > 1) {
      return nodeError(ctx, Errc::kSchema, "the {} operand '{}' should be 1-D, found {}", role,
                       v->name, kernels::formatShape(v->type.shape));
    }
    return FloatList{floatsOf(*v)};
  }

  // --- Node outputs --------------------------------------------------------------------------

  // Adds a kernel node computing one new value named `outName`; its type comes from the op's
  // infer function. A node whose inputs are all constant is evaluated at once instead.
  template <typename P>
  Result<ValueId> emit(const NodeCtx& ctx, std::string nodeName, OpCode op, const P& params,
                       std::vector<ValueId> inputs, std::string outName) {
    while (!inputs.empty() && inputs.back() == kNoValue) inputs.pop_back();
    Node node;
    node.name = std::move(nodeName);
    node.onnxOp = ctx.opType();
    node.op = op;
    node.setParams(params);
    node.inputs = std::move(inputs);
    EDGERT_ASSIGN_OR_RETURN(auto types, inferNode(graph_, node));
    if (types.size() != 1)
      return nodeError(ctx, Errc::kInternal, "op produces {} outputs, expected 1", types.size());
    Value out;
    out.name = std::move(outName);
    out.type = types[0];
    const ValueId id = graph_.addValue(std::move(out));
    node.outputs = {id};
    if (foldsAtCompileTime(graph_, node)) {
      EDGERT_TRY(evaluateNode(graph_, node));
    } else {
      graph_.nodes.push_back(std::move(node));
    }
    return id;
  }

  // The node's result (ONNX output 0) computed by one kernel op named like the node.
  template <typename P>
  Result<void> emitResult(const NodeCtx& ctx, OpCode op, const P& params,
                          std::vector<ValueId> inputs) {
    EDGERT_ASSIGN_OR_RETURN(ValueId id,
                            emit(ctx, ctx.name, op, params, std::move(inputs), outputName(ctx)));
    return bind(ctx, ctx.proto.output(0), id);
  }

  std::string outputName(const NodeCtx& ctx) {
    if (ctx.proto.output_size() > 0 && !ctx.proto.output(0).empty()) return ctx.proto.output(0);
    return uniqueName(ctx.name + "/out");
  }

  Result<void> emitConstant(const NodeCtx& ctx, TensorType type, std::vector<std::byte> data) {
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

  Result<void> rejectUsedOutputs(const NodeCtx& ctx, int from, std::string_view what) const {
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
  Result<void> forward(const NodeCtx& ctx, ValueId x) {
    const std::string& out = ctx.proto.output(0);
    if (!graphOutputNames_.count(out)) return bind(ctx, out, x);
    kernels::ReshapeParams p;
    p.shape = typeOf(x).shape;
    return emitResult(ctx, OpCode::kReshape, p, {x});
  }

  // --- Convolution and pooling ---------------------------------------------------------------

  Result<void> importConv(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(ValueId w, input(ctx, 1));
    EDGERT_ASSIGN_OR_RETURN(ValueId b, optionalInput(ctx, 2));
    EDGERT_ASSIGN_OR_RETURN(int rank, spatialRankOf(ctx, typeOf(x), "convolution"));
    const Shape& ws = typeOf(w).shape;
    if (ws.rank != rank + 2) {
      return nodeError(ctx, Errc::kInvalidArgument, "weights {} should have rank {}",
                       kernels::formatShape(ws), rank + 2);
    }
    EDGERT_ASSIGN_OR_RETURN(Window win, readWindow(ctx, rank, ws.span().subspan(2)));
    EDGERT_TRY(resolvePads(ctx, win, typeOf(x).shape));
    kernels::ConvParams p;
    fillWindow(win, p);
    EDGERT_ASSIGN_OR_RETURN(std::int64_t group, attrInt(ctx, "group", 1));
    if (group < 1 || group > kInt32Max)
      return nodeError(ctx, Errc::kInvalidArgument, "group {} must be positive", group);
    p.group = static_cast<std::int32_t>(group);
    p.hasBias = b != kNoValue ? 1 : 0;
    return emitResult(ctx, OpCode::kConv, p, {x, w, b});
  }

  // ConvTranspose pads: explicit, or derived from output_shape (or from auto_pad SAME_*,
  // which asks for output = input * stride) as the ONNX spec gives:
  //   total = stride * (in - 1) + output_padding + ((k - 1) * dilation + 1) - out
  //   SAME_UPPER: begin = total / 2, end = total - begin; otherwise the odd pixel at the begin.
  // An output larger than the transposed convolution covers (total < 0) gets no pads and the
  // missing rows at the end as output padding (bias only), as ONNX's tests and ONNX Runtime do.
  Result<void> resolveTransposePads(const NodeCtx& ctx, Window& w, const Shape& x,
                                    std::vector<std::int64_t>& outputPadding) {
    EDGERT_ASSIGN_OR_RETURN(std::string autoPad, attrString(ctx, "auto_pad", "NOTSET"));
    if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
        autoPad != "SAME_LOWER") {
      return nodeError(ctx, Errc::kSchema,
                       "auto_pad '{}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", autoPad);
    }
    EDGERT_ASSIGN_OR_RETURN(IntList outputShape, attrInts(ctx, "output_shape"));
    const bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
    if (!outputShape && !same) return autoPad == "VALID" ? success() : readExplicitPads(ctx, w);
    std::vector<std::int64_t> target(static_cast<std::size_t>(w.rank));
    for (int i = 0; i < w.rank; ++i)
      target[static_cast<std::size_t>(i)] = x.dims[2 + i] * w.stride[i];
    if (outputShape) {
      const auto n = static_cast<int>(outputShape->size());
      if (n != w.rank && n != w.rank + 2) {
        return nodeError(ctx, Errc::kSchema, "attribute 'output_shape' has {} values, expected {}",
                         n, w.rank);
      }
      target.assign(outputShape->end() - w.rank, outputShape->end());
    }
    for (int i = 0; i < w.rank; ++i) {
      const auto s = static_cast<std::size_t>(i);
      const std::int64_t total = w.stride[i] * (x.dims[2 + i] - 1) + outputPadding[s] +
                                 ((w.kernel[i] - 1) * w.dilation[i] + 1) - target[s];
      if (total > 2 * kInt32Max || -total > kInt32Max - outputPadding[s]) {
        return nodeError(ctx, Errc::kInvalidArgument,
                         "output size {} on spatial axis {} needs padding {}", target[s], i, total);
      }
      if (total < 0) {
        outputPadding[s] -= total;
        continue;
      }
      w.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.padEnd[i] = total - w.padBegin[i];
    }
    return success();
  }

  Result<void> importConvTranspose(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(ValueId w, input(ctx, 1));
    EDGERT_ASSIGN_OR_RETURN(ValueId b, optionalInput(ctx, 2));
    EDGERT_ASSIGN_OR_RETURN(int rank, spatialRankOf(ctx, typeOf(x), "transposed convolution"));
    const Shape& ws = typeOf(w).shape;
    if (ws.rank != rank + 2) {
      return nodeError(ctx, Errc::kInvalidArgument, "weights {} should have rank {}",
                       kernels::formatShape(ws), rank + 2);
    }
    EDGERT_ASSIGN_OR_RETURN(Window win, readWindow(ctx, rank, ws.span().subspan(2)));
    EDGERT_ASSIGN_OR_RETURN(auto outputPadding, spatialInts(ctx, "output_padding", rank, 0, 0));
    EDGERT_TRY(resolveTransposePads(ctx, win, typeOf(x).shape, outputPadding));
    kernels::ConvTransposeParams p;
    fillWindow(win, p);
    for (int i = 0; i < rank; ++i) {
      p.outputPadding[2 - rank + i] =
          static_cast<std::int32_t>(outputPadding[static_cast<std::size_t>(i)]);
    }
    EDGERT_ASSIGN_OR_RETURN(std::int64_t group, attrInt(ctx, "group", 1));
    if (group < 1 || group > kInt32Max)
      return nodeError(ctx, Errc::kInvalidArgument, "group {} must be positive", group);
    p.group = static_cast<std::int32_t>(group);
    p.hasBias = b != kNoValue ? 1 : 0;
    return emitResult(ctx, OpCode::kConvTranspose, p, {x, w, b});
  }

  Result<kernels::PoolParams> poolParams(const NodeCtx& ctx, ValueId x) {
    EDGERT_ASSIGN_OR_RETURN(int rank, spatialRankOf(ctx, typeOf(x), "pooling"));
    EDGERT_ASSIGN_OR_RETURN(Window win, readWindow(ctx, rank, {}));
    EDGERT_TRY(resolvePads(ctx, win, typeOf(x).shape));
    kernels::PoolParams p;
    fillWindow(win, p);
    EDGERT_ASSIGN_OR_RETURN(std::int64_t ceilMode, attrInt(ctx, "ceil_mode", 0));
    p.ceilMode = ceilMode != 0 ? 1 : 0;
    return p;
  }

  Result<void> importMaxPool(const NodeCtx& ctx) {
    EDGERT_TRY(rejectUsedOutputs(ctx, 1, "the Indices output"));
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(kernels::PoolParams p, poolParams(ctx, x));
    return emitResult(ctx, OpCode::kMaxPool, p, {x});
  }

  Result<void> importAveragePool(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(kernels::PoolParams p, poolParams(ctx, x));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t includePad, attrInt(ctx, "count_include_pad", 0));
    p.countIncludePad = includePad != 0 ? 1 : 0;
    return emitResult(ctx, OpCode::kAveragePool, p, {x});
  }

  Result<void> importGlobalAveragePool(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_TRY(spatialRankOf(ctx, typeOf(x), "pooling"));
    return emitResult(ctx, OpCode::kGlobalAveragePool, kernels::GlobalPoolParams{}, {x});
  }

  Result<void> importBatchNorm(const NodeCtx& ctx) {
    if (ctx.opset < 9) {
      EDGERT_ASSIGN_OR_RETURN(std::int64_t spatial, attrInt(ctx, "spatial", 1));
      if (spatial == 0) {
        return nodeError(ctx, Errc::kUnsupported,
                         "spatial=0 (per-activation statistics) is not supported");
      }
    }
    EDGERT_ASSIGN_OR_RETURN(std::int64_t training, attrInt(ctx, "training_mode", 0));
    if (training != 0) {
      return nodeError(ctx, Errc::kUnsupported,
                       "training_mode=1 is not supported; export the model for inference");
    }
    EDGERT_TRY(rejectUsedOutputs(ctx, 1, "training-mode statistics"));
    std::vector<ValueId> inputs;
    for (int i = 0; i < 5; ++i) {
      EDGERT_ASSIGN_OR_RETURN(ValueId id, input(ctx, i));
      inputs.push_back(id);
    }
    kernels::BatchNormParams p;
    EDGERT_ASSIGN_OR_RETURN(p.epsilon, attrFloat(ctx, "epsilon", 1e-5f));
    return emitResult(ctx, OpCode::kBatchNorm, p, std::move(inputs));
  }

  // --- Dense and elementwise -----------------------------------------------------------------

  Result<void> importGemm(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
    EDGERT_ASSIGN_OR_RETURN(ValueId c, optionalInput(ctx, 2));
    kernels::GemmParams p;
    EDGERT_ASSIGN_OR_RETURN(p.alpha, attrFloat(ctx, "alpha", 1.0f));
    EDGERT_ASSIGN_OR_RETURN(p.beta, attrFloat(ctx, "beta", 1.0f));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t transA, attrInt(ctx, "transA", 0));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t transB, attrInt(ctx, "transB", 0));
    p.transA = transA != 0 ? 1 : 0;
    p.transB = transB != 0 ? 1 : 0;
    p.hasC = c != kNoValue ? 1 : 0;
    return emitResult(ctx, OpCode::kGemm, p, {a, b, c});
  }

  Result<void> importMatMul(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
    return emitResult(ctx, OpCode::kMatMul, kernels::MatMulParams{}, {a, b});
  }

  Result<void> importBinary(const NodeCtx& ctx, kernels::BinaryOp op) {
    EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
    kernels::BinaryParams p;
    p.op = op;
    return emitResult(ctx, OpCode::kBinary, p, {a, b});
  }
  Result<void> importAdd(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kAdd); }
  Result<void> importSub(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kSub); }
  Result<void> importMul(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kMul); }
  Result<void> importDiv(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kDiv); }

  Result<void> importActivation(const NodeCtx& ctx, kernels::Activation kind, float alpha,
                                float beta) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    kernels::ActivationParams p;
    p.kind = kind;
    p.alpha = alpha;
    p.beta = beta;
    return emitResult(ctx, OpCode::kActivation, p, {x});
  }
  Result<void> importRelu(const NodeCtx& ctx) {
    return importActivation(ctx, kernels::Activation::kRelu, 0, 0);
  }
  Result<void> importSigmoid(const NodeCtx& ctx) {
    return importActivation(ctx, kernels::Activation::kSigmoid, 0, 0);
  }
  Result<void> importTanh(const NodeCtx& ctx) {
    return importActivation(ctx, kernels::Activation::kTanh, 0, 0);
  }
  Result<void> importHardSwish(const NodeCtx& ctx) {
    return importActivation(ctx, kernels::Activation::kHardSwish, 0, 0);
  }
  Result<void> importLeakyRelu(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(float alpha, attrFloat(ctx, "alpha", 0.01f));
    return importActivation(ctx, kernels::Activation::kLeakyRelu, alpha, 0);
  }
  Result<void> importHardSigmoid(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(float alpha, attrFloat(ctx, "alpha", 0.2f));
    EDGERT_ASSIGN_OR_RETURN(float beta, attrFloat(ctx, "beta", 0.5f));
    return importActivation(ctx, kernels::Activation::kHardSigmoid, alpha, beta);
  }

  // A Clip bound given as an input (opset 11+): absent, or a one-element constant.
  Result<float> clipBound(const NodeCtx& ctx, int index, std::string_view role, float fallback) {
    EDGERT_ASSIGN_OR_RETURN(const Value* v, constantInput(ctx, index, role));
    if (v == nullptr) return fallback;
    if (v->type.shape.numel() != 1) {
      return nodeError(ctx, Errc::kSchema, "the {} operand '{}' should be a scalar, found {}", role,
                       v->name, kernels::formatShape(v->type.shape));
    }
    return static_cast<float>(elementAsDouble(*v, 0));
  }

  Result<void> importClip(const NodeCtx& ctx) {
    constexpr float kLowest = std::numeric_limits<float>::lowest();
    constexpr float kHighest = std::numeric_limits<float>::max();
    float lo = kLowest;
    float hi = kHighest;
    if (ctx.opset < 11) {
      EDGERT_ASSIGN_OR_RETURN(lo, attrFloat(ctx, "min", kLowest));
      EDGERT_ASSIGN_OR_RETURN(hi, attrFloat(ctx, "max", kHighest));
    } else {
      EDGERT_ASSIGN_OR_RETURN(lo, clipBound(ctx, 1, "min", kLowest));
      EDGERT_ASSIGN_OR_RETURN(hi, clipBound(ctx, 2, "max", kHighest));
    }
    return importActivation(ctx, kernels::Activation::kClip, lo, hi);
  }

  // Softmax before opset 13 coerces the input to 2-D at `axis` and normalizes each row:
  // lowered as Reshape(rows x cols) -> Softmax(axis 1) -> Reshape(back). When `axis` is the
  // last axis that is the same as a plain Softmax on it.
  Result<void> importSoftmax(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const Shape shape = typeOf(x).shape;
    EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", ctx.opset < 13 ? 1 : -1));
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, shape.rank, "axis"));
    if (ctx.opset >= 13 || axis == shape.rank - 1) {
      return emitResult(ctx, OpCode::kSoftmax, kernels::SoftmaxParams{axis}, {x});
    }
    const std::string out = outputName(ctx);
    kernels::ReshapeParams toRows;
    toRows.shape = Shape::of({product(shape, 0, axis), product(shape, axis, shape.rank)});
    EDGERT_ASSIGN_OR_RETURN(ValueId rows, emit(ctx, ctx.name + "/to_2d", OpCode::kReshape, toRows,
                                               {x}, uniqueName(out + "/2d")));
    EDGERT_ASSIGN_OR_RETURN(ValueId soft,
                            emit(ctx, ctx.name, OpCode::kSoftmax, kernels::SoftmaxParams{1}, {rows},
                                 uniqueName(out + "/softmax_2d")));
    kernels::ReshapeParams back;
    back.shape = shape;
    EDGERT_ASSIGN_OR_RETURN(ValueId y,
                            emit(ctx, ctx.name + "/from_2d", OpCode::kReshape, back, {soft}, out));
    return bind(ctx, ctx.proto.output(0), y);
  }

  // --- Shapes and data movement ----------------------------------------------------------------

  Result<void> importConcat(const NodeCtx& ctx) {
    std::vector<ValueId> inputs;
    for (int i = 0; i < ctx.proto.input_size(); ++i) {
      EDGERT_ASSIGN_OR_RETURN(ValueId id, input(ctx, i));
      inputs.push_back(id);
    }
    if (inputs.empty()) return nodeError(ctx, Errc::kSchema, "has no inputs");
    if (!ctx.attr("axis")) return nodeError(ctx, Errc::kSchema, "attribute 'axis' is missing");
    EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", 0));
    EDGERT_ASSIGN_OR_RETURN(int axis,
                            normalizeAxis(ctx, rawAxis, typeOf(inputs[0]).shape.rank, "axis"));
    return emitResult(ctx, OpCode::kConcat, kernels::ConcatParams{axis}, std::move(inputs));
  }

  Result<void> emitReshape(const NodeCtx& ctx, ValueId x, const Shape& shape) {
    kernels::ReshapeParams p;
    p.shape = shape;
    return emitResult(ctx, OpCode::kReshape, p, {x});
  }

  // Reshape's target: 0 copies the input dim (unless allowzero), -1 takes what is left.
  Result<Shape> reshapeTarget(const NodeCtx& ctx, const Shape& in,
                              const std::vector<std::int64_t>& spec, bool allowZero) {
    if (static_cast<int>(spec.size()) > kernels::kMaxRank) {
      return nodeError(ctx, Errc::kUnsupported, "target rank {} exceeds {}", spec.size(),
                       kernels::kMaxRank);
    }
    Shape out;
    out.rank = static_cast<std::int32_t>(spec.size());
    int inferred = -1;
    std::int64_t known = 1;
    for (int i = 0; i < out.rank; ++i) {
      std::int64_t d = spec[static_cast<std::size_t>(i)];
      if (d == 0 && !allowZero) {
        if (i >= in.rank) {
          return nodeError(ctx, Errc::kInvalidArgument,
                           "shape [{}] copies axis {} of a rank-{} input", fmt::join(spec, ", "), i,
                           in.rank);
        }
        d = in.dims[i];
      }
      if (d == -1) {
        if (inferred >= 0)
          return nodeError(ctx, Errc::kInvalidArgument, "shape [{}] has two -1",
                           fmt::join(spec, ", "));
        if (allowZero && std::find(spec.begin(), spec.end(), 0) != spec.end()) {
          return nodeError(ctx, Errc::kInvalidArgument,
                           "shape [{}] has both -1 and 0 with allowzero=1", fmt::join(spec, ", "));
        }
        inferred = i;
        continue;
      }
      if (d < 0)
        return nodeError(ctx, Errc::kInvalidArgument, "shape [{}] has dimension {}",
                         fmt::join(spec, ", "), d);
      if (d > kernels::kMaxElements || (d != 0 && known > kernels::kMaxElements / d)) {
        return nodeError(ctx, Errc::kInvalidArgument, "shape [{}] has more than 2^40 elements",
                         fmt::join(spec, ", "));
      }
      out.dims[i] = d;
      known *= d;
    }
    if (inferred >= 0) {
      if (known == 0 || in.numel() % known != 0) {
        return nodeError(ctx, Errc::kInvalidArgument, "cannot reshape {} to [{}]",
                         kernels::formatShape(in), fmt::join(spec, ", "));
      }
      out.dims[inferred] = in.numel() / known;
    }
    return out;
  }

  Result<void> importReshape(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(IntList spec, constantInts(ctx, 1, "shape"));
    if (!spec) return nodeError(ctx, Errc::kSchema, "the shape operand is missing");
    EDGERT_ASSIGN_OR_RETURN(std::int64_t allowZero, attrInt(ctx, "allowzero", 0));
    EDGERT_ASSIGN_OR_RETURN(
        Shape shape, reshapeTarget(ctx, typeOf(x).shape, *spec, ctx.opset >= 14 && allowZero != 0));
    return emitReshape(ctx, x, shape);
  }

  Result<void> importFlatten(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const Shape& in = typeOf(x).shape;
    EDGERT_ASSIGN_OR_RETURN(std::int64_t axis, attrInt(ctx, "axis", 1));
    if (axis < 0) axis += in.rank;
    if (axis < 0 || axis > in.rank) {
      return nodeError(ctx, Errc::kInvalidArgument, "axis {} is out of range for rank {}", axis,
                       in.rank);
    }
    const int a = static_cast<int>(axis);
    return emitReshape(ctx, x, Shape::of({product(in, 0, a), product(in, a, in.rank)}));
  }

  // Squeeze/Unsqueeze axes: an attribute before opset 13, an input from 13.
  Result<IntList> axesOperand(const NodeCtx& ctx) {
    if (ctx.opset < 13) return attrInts(ctx, "axes");
    return constantInts(ctx, 1, "axes");
  }

  Result<void> importSqueeze(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const Shape& in = typeOf(x).shape;
    EDGERT_ASSIGN_OR_RETURN(IntList axes, axesOperand(ctx));
    bool drop[kernels::kMaxRank] = {};
    if (!axes) {
      for (int i = 0; i < in.rank; ++i) drop[i] = in.dims[i] == 1;
    }
    for (std::int64_t raw : axes.value_or(std::vector<std::int64_t>{})) {
      EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, in.rank, "axis"));
      if (in.dims[axis] != 1) {
        return nodeError(ctx, Errc::kInvalidArgument,
                         "cannot squeeze axis {} of size {} (input {})", axis, in.dims[axis],
                         kernels::formatShape(in));
      }
      drop[axis] = true;
    }
    Shape out;
    for (int i = 0; i < in.rank; ++i) {
      if (!drop[i]) out.dims[out.rank++] = in.dims[i];
    }
    return emitReshape(ctx, x, out);
  }

  Result<void> importUnsqueeze(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const Shape& in = typeOf(x).shape;
    EDGERT_ASSIGN_OR_RETURN(IntList axes, axesOperand(ctx));
    if (!axes) return nodeError(ctx, Errc::kSchema, "axes are missing");
    const int outRank = in.rank + static_cast<int>(axes->size());
    if (outRank > kernels::kMaxRank) {
      return nodeError(ctx, Errc::kUnsupported, "output rank {} exceeds {}", outRank,
                       kernels::kMaxRank);
    }
    bool inserted[kernels::kMaxRank] = {};
    for (std::int64_t raw : *axes) {
      EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, outRank, "axis"));
      if (inserted[axis])
        return nodeError(ctx, Errc::kInvalidArgument, "axis {} is given twice", axis);
      inserted[axis] = true;
    }
    Shape out;
    out.rank = outRank;
    int next = 0;
    for (int i = 0; i < outRank; ++i) out.dims[i] = inserted[i] ? 1 : in.dims[next++];
    return emitReshape(ctx, x, out);
  }

  Result<void> importTranspose(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const int rank = typeOf(x).shape.rank;
    EDGERT_ASSIGN_OR_RETURN(IntList perm, attrInts(ctx, "perm"));
    kernels::TransposeParams p;
    p.rank = rank;
    if (perm && static_cast<int>(perm->size()) != rank) {
      return nodeError(ctx, Errc::kSchema, "perm has {} entries for a rank-{} input", perm->size(),
                       rank);
    }
    for (int i = 0; i < rank; ++i) {
      const std::int64_t v = perm ? (*perm)[static_cast<std::size_t>(i)] : rank - 1 - i;
      if (v < 0 || v >= rank)
        return nodeError(ctx, Errc::kInvalidArgument, "perm entry {} is out of range", v);
      p.perm[i] = static_cast<std::int32_t>(v);
    }
    return emitResult(ctx, OpCode::kTranspose, p, {x});
  }

  Result<void> importPad(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const int rank = typeOf(x).shape.rank;
    EDGERT_ASSIGN_OR_RETURN(std::string mode, attrString(ctx, "mode", "constant"));
    if (mode != "constant") {
      return nodeError(ctx, Errc::kUnsupported, "mode '{}' is not supported (only 'constant')",
                       mode);
    }
    IntList pads;
    float fill = 0.0f;
    if (ctx.opset < 11) {
      EDGERT_ASSIGN_OR_RETURN(pads, attrInts(ctx, "pads"));
      EDGERT_ASSIGN_OR_RETURN(fill, attrFloat(ctx, "value", 0.0f));
    } else {
      EDGERT_ASSIGN_OR_RETURN(pads, constantInts(ctx, 1, "pads"));
      EDGERT_ASSIGN_OR_RETURN(fill, clipBound(ctx, 2, "constant_value", 0.0f));
    }
    if (!pads) return nodeError(ctx, Errc::kSchema, "pads are missing");
    if (static_cast<int>(pads->size()) != 2 * rank) {
      return nodeError(ctx, Errc::kSchema, "pads has {} values, expected {} for a rank-{} input",
                       pads->size(), 2 * rank, rank);
    }
    kernels::PadParams p;
    p.rank = rank;
    p.value = fill;
    for (int i = 0; i < rank; ++i) {
      p.padBegin[i] = (*pads)[static_cast<std::size_t>(i)];
      p.padEnd[i] = (*pads)[static_cast<std::size_t>(i + rank)];
    }
    return emitResult(ctx, OpCode::kPad, p, {x});
  }

  // One sliced axis, clamped as the ONNX spec says: negative starts/ends count from the end;
  // then start is clamped to [0, dim] ([0, dim - 1] for negative steps) and end to [0, dim]
  // ([-1, dim - 1]).
  static void sliceAxis(kernels::SliceParams& p, int axis, std::int64_t dim, std::int64_t start,
                        std::int64_t end, std::int64_t step) {
    p.step[axis] = step;
    p.start[axis] = 0;
    p.count[axis] = 0;
    if (dim == 0) return;
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    std::int64_t count = 0;
    if (step > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim);
      end = std::clamp<std::int64_t>(end, 0, dim);
      count = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<std::int64_t>(start, 0, dim - 1);
      end = std::clamp<std::int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end - step - 1) / -step : 0;
    }
    if (count > 0) {
      p.start[axis] = start;
      p.count[axis] = count;
    }
  }

  Result<void> importSlice(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const Shape& in = typeOf(x).shape;
    IntList starts, ends, axes, steps;
    if (ctx.opset < 10) {
      EDGERT_ASSIGN_OR_RETURN(starts, attrInts(ctx, "starts"));
      EDGERT_ASSIGN_OR_RETURN(ends, attrInts(ctx, "ends"));
      EDGERT_ASSIGN_OR_RETURN(axes, attrInts(ctx, "axes"));
    } else {
      EDGERT_ASSIGN_OR_RETURN(starts, constantInts(ctx, 1, "starts"));
      EDGERT_ASSIGN_OR_RETURN(ends, constantInts(ctx, 2, "ends"));
      EDGERT_ASSIGN_OR_RETURN(axes, constantInts(ctx, 3, "axes"));
      EDGERT_ASSIGN_OR_RETURN(steps, constantInts(ctx, 4, "steps"));
    }
    if (!starts || !ends) return nodeError(ctx, Errc::kSchema, "starts and ends are required");
    const std::size_t n = starts->size();
    if (ends->size() != n || (axes && axes->size() != n) || (steps && steps->size() != n)) {
      return nodeError(ctx, Errc::kSchema, "starts, ends, axes and steps have different lengths");
    }
    kernels::SliceParams p;
    p.rank = in.rank;
    for (int i = 0; i < in.rank; ++i) {
      p.step[i] = 1;
      p.count[i] = in.dims[i];
    }
    bool seen[kernels::kMaxRank] = {};
    for (std::size_t k = 0; k < n; ++k) {
      const std::int64_t rawAxis = axes ? (*axes)[k] : static_cast<std::int64_t>(k);
      EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, in.rank, "axis"));
      if (seen[axis])
        return nodeError(ctx, Errc::kInvalidArgument, "axis {} is sliced twice", axis);
      seen[axis] = true;
      const std::int64_t step = steps ? (*steps)[k] : 1;
      if (step == 0) return nodeError(ctx, Errc::kInvalidArgument, "step 0 on axis {}", axis);
      sliceAxis(p, axis, in.dims[axis], (*starts)[k], (*ends)[k], step);
    }
    return emitResult(ctx, OpCode::kSlice, p, {x});
  }

  // --- Resize and Upsample ---------------------------------------------------------------------

  Result<kernels::ResizeMode> resizeMode(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(std::string mode, attrString(ctx, "mode", "nearest"));
    if (mode == "nearest") return kernels::ResizeMode::kNearest;
    if (mode == "linear" || mode == "bilinear") return kernels::ResizeMode::kLinear;
    if (mode == "cubic")
      return nodeError(ctx, Errc::kUnsupported,
                       "mode 'cubic' is not supported (only 'nearest' and 'linear')");
    return nodeError(ctx, Errc::kSchema, "mode '{}' is not 'nearest', 'linear' or 'cubic'", mode);
  }

  // Output size floor(in * scale), computed in float like the reference implementations.
  Result<void> applyScales(const NodeCtx& ctx, const Shape& in, const std::vector<float>& scales,
                           kernels::ResizeParams& p) {
    if (static_cast<int>(scales.size()) != in.rank) {
      return nodeError(ctx, Errc::kSchema, "{} scales for a rank-{} input", scales.size(), in.rank);
    }
    p.outputShape.rank = in.rank;
    for (int i = 0; i < in.rank; ++i) {
      const float s = scales[static_cast<std::size_t>(i)];
      if (!(s > 0.0f) || !std::isfinite(s)) {
        return nodeError(ctx, Errc::kInvalidArgument, "scale {} on axis {} is not positive", s, i);
      }
      p.scale[i] = s;
      p.outputShape.dims[i] =
          static_cast<std::int64_t>(std::floor(static_cast<float>(in.dims[i]) * s));
    }
    return success();
  }

  Result<void> applySizes(const NodeCtx& ctx, const Shape& in,
                          const std::vector<std::int64_t>& sizes, kernels::ResizeParams& p) {
    if (static_cast<int>(sizes.size()) != in.rank) {
      return nodeError(ctx, Errc::kSchema, "{} sizes for a rank-{} input", sizes.size(), in.rank);
    }
    p.outputShape.rank = in.rank;
    for (int i = 0; i < in.rank; ++i) {
      const std::int64_t size = sizes[static_cast<std::size_t>(i)];
      if (size <= 0 || in.dims[i] <= 0) {
        return nodeError(ctx, Errc::kInvalidArgument, "cannot resize axis {} from {} to {}", i,
                         in.dims[i], size);
      }
      p.outputShape.dims[i] = size;
      p.scale[i] = static_cast<float>(size) / static_cast<float>(in.dims[i]);
    }
    return success();
  }

  // Resize-10 and Upsample: asymmetric coordinates; nearest picks floor when enlarging and
  // ceil when shrinking (what ONNX's own tests and ONNX Runtime do for these versions).
  Result<void> emitLegacyResize(const NodeCtx& ctx, ValueId x, const std::vector<float>& scales) {
    kernels::ResizeParams p;
    EDGERT_ASSIGN_OR_RETURN(p.mode, resizeMode(ctx));
    p.transform = kernels::CoordinateTransform::kAsymmetric;
    EDGERT_TRY(applyScales(ctx, typeOf(x).shape, scales, p));
    const bool up = std::any_of(scales.begin(), scales.end(), [](float s) { return s > 1.0f; });
    const bool down = std::any_of(scales.begin(), scales.end(), [](float s) { return s < 1.0f; });
    if (p.mode == kernels::ResizeMode::kNearest && up && down) {
      return nodeError(ctx, Errc::kUnsupported,
                       "nearest resize that enlarges some axes and shrinks others is not "
                       "supported before opset 11");
    }
    p.rounding = down ? kernels::NearestRounding::kCeil : kernels::NearestRounding::kFloor;
    return emitResult(ctx, OpCode::kResize, p, {x});
  }

  Result<kernels::CoordinateTransform> coordinateTransform(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(std::string mode,
                            attrString(ctx, "coordinate_transformation_mode", "half_pixel"));
    if (mode == "half_pixel") return kernels::CoordinateTransform::kHalfPixel;
    if (mode == "asymmetric") return kernels::CoordinateTransform::kAsymmetric;
    if (mode == "align_corners") return kernels::CoordinateTransform::kAlignCorners;
    if (mode == "pytorch_half_pixel") return kernels::CoordinateTransform::kPytorchHalfPixel;
    if (mode == "tf_half_pixel_for_nearest" ||
        mode == "tf_half_pixel_for_nn") {  // ONNX Runtime's spelling
      return kernels::CoordinateTransform::kTfHalfPixelForNearest;
    }
    if (mode == "tf_crop_and_resize") {
      return nodeError(ctx, Errc::kUnsupported,
                       "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
    }
    return nodeError(ctx, Errc::kSchema, "unknown coordinate_transformation_mode '{}'", mode);
  }

  Result<kernels::NearestRounding> nearestRounding(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(std::string mode,
                            attrString(ctx, "nearest_mode", "round_prefer_floor"));
    if (mode == "round_prefer_floor") return kernels::NearestRounding::kRoundPreferFloor;
    if (mode == "round_prefer_ceil") return kernels::NearestRounding::kRoundPreferCeil;
    if (mode == "floor") return kernels::NearestRounding::kFloor;
    if (mode == "ceil") return kernels::NearestRounding::kCeil;
    return nodeError(ctx, Errc::kSchema, "unknown nearest_mode '{}'", mode);
  }

  Result<void> importResize(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    if (ctx.opset < 11) {
      EDGERT_ASSIGN_OR_RETURN(FloatList scales, constantFloats(ctx, 1, "scales"));
      if (!scales) return nodeError(ctx, Errc::kSchema, "the scales operand is missing");
      return emitLegacyResize(ctx, x, *scales);
    }
    kernels::ResizeParams p;
    EDGERT_ASSIGN_OR_RETURN(p.mode, resizeMode(ctx));
    EDGERT_ASSIGN_OR_RETURN(p.transform, coordinateTransform(ctx));
    EDGERT_ASSIGN_OR_RETURN(p.rounding, nearestRounding(ctx));
    // Input 1 (roi) only matters for tf_crop_and_resize, which is rejected above.
    EDGERT_ASSIGN_OR_RETURN(FloatList scales, constantFloats(ctx, 2, "scales"));
    EDGERT_ASSIGN_OR_RETURN(IntList sizes, constantInts(ctx, 3, "sizes"));
    const bool hasScales = scales && !scales->empty();
    const bool hasSizes = sizes && !sizes->empty();
    if (hasScales == hasSizes) {
      return nodeError(ctx, Errc::kSchema, "exactly one of scales and sizes must be given");
    }
    const Shape& in = typeOf(x).shape;
    EDGERT_TRY(hasScales ? applyScales(ctx, in, *scales, p) : applySizes(ctx, in, *sizes, p));
    return emitResult(ctx, OpCode::kResize, p, {x});
  }

  Result<void> importUpsample(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    FloatList scales;
    if (ctx.opset < 9) {
      EDGERT_ASSIGN_OR_RETURN(scales, attrFloats(ctx, "scales"));
    } else {
      EDGERT_ASSIGN_OR_RETURN(scales, constantFloats(ctx, 1, "scales"));
    }
    if (!scales) return nodeError(ctx, Errc::kSchema, "scales are missing");
    return emitLegacyResize(ctx, x, *scales);
  }

  Result<void> importReduceMean(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const int rank = typeOf(x).shape.rank;
    EDGERT_ASSIGN_OR_RETURN(IntList axes, attrInts(ctx, "axes"));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t keepDims, attrInt(ctx, "keepdims", 1));
    kernels::ReduceParams p;
    p.keepDims = keepDims != 0 ? 1 : 0;
    if (!axes || axes->empty()) {  // before opset 18, no axes means all axes
      for (int i = 0; i < rank; ++i) p.axesMask |= 1u << i;
    }
    for (std::int64_t raw : axes.value_or(std::vector<std::int64_t>{})) {
      EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, rank, "axis"));
      p.axesMask |= 1u << axis;
    }
    return emitResult(ctx, OpCode::kReduceMean, p, {x});
  }

  // --- Compile-time ops ------------------------------------------------------------------------

  Result<void> importConstant(const NodeCtx& ctx) {
    if (ctx.proto.attribute_size() != 1) {
      return nodeError(ctx, Errc::kSchema, "expects exactly one value attribute, found {}",
                       ctx.proto.attribute_size());
    }
    const onnx::AttributeProto& a = ctx.proto.attribute(0);
    const std::string& key = a.name();
    if (key == "value" && attrIs(a, onnx::AttributeProto::TENSOR)) {
      EDGERT_ASSIGN_OR_RETURN(Value v, valueFromTensor(a.t(), outputName(ctx), "constant"));
      return emitConstant(ctx, v.type, std::move(v.data));
    }
    if (key == "value_float" && attrIs(a, onnx::AttributeProto::FLOAT)) {
      const float f = a.f();
      return emitConstant(ctx, TensorType{DType::kFloat32, Shape{}},
                          toBytes(std::span<const float>(&f, 1)));
    }
    if (key == "value_int" && attrIs(a, onnx::AttributeProto::INT)) {
      const std::int64_t i = a.i();
      return emitConstant(ctx, TensorType{DType::kInt64, Shape{}},
                          toBytes(std::span<const std::int64_t>(&i, 1)));
    }
    if (key == "value_floats" && attrIs(a, onnx::AttributeProto::FLOATS)) {
      const std::vector<float> v(a.floats().begin(), a.floats().end());
      return emitConstant(
          ctx, TensorType{DType::kFloat32, Shape::of({static_cast<std::int64_t>(v.size())})},
          toBytes(std::span<const float>(v)));
    }
    if (key == "value_ints" && attrIs(a, onnx::AttributeProto::INTS)) {
      const std::vector<std::int64_t> v(a.ints().begin(), a.ints().end());
      return emitConstant(
          ctx, TensorType{DType::kInt64, Shape::of({static_cast<std::int64_t>(v.size())})},
          toBytes(std::span<const std::int64_t>(v)));
    }
    return nodeError(ctx, Errc::kUnsupported, "a constant given as '{}' is not supported", key);
  }

  Result<void> importShape(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    const Shape& in = typeOf(x).shape;
    EDGERT_ASSIGN_OR_RETURN(std::int64_t start, attrInt(ctx, "start", 0));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t end, attrInt(ctx, "end", in.rank));
    if (start < 0) start += in.rank;
    if (end < 0) end += in.rank;
    start = std::clamp<std::int64_t>(start, 0, in.rank);
    end = std::clamp<std::int64_t>(end, start, in.rank);
    const std::vector<std::int64_t> dims(in.dims + start, in.dims + end);
    return emitConstant(
        ctx, TensorType{DType::kInt64, Shape::of({static_cast<std::int64_t>(dims.size())})},
        toBytes(std::span<const std::int64_t>(dims)));
  }

  Result<void> importConstantOfShape(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(IntList dims, constantInts(ctx, 0, "shape"));
    if (!dims) return nodeError(ctx, Errc::kSchema, "the shape operand is missing");
    if (static_cast<int>(dims->size()) > kernels::kMaxRank) {
      return nodeError(ctx, Errc::kUnsupported, "rank {} exceeds {}", dims->size(),
                       kernels::kMaxRank);
    }
    TensorType type;
    for (std::int64_t d : *dims) {
      if (d < 0) return nodeError(ctx, Errc::kInvalidArgument, "negative dimension {}", d);
      type.shape.dims[type.shape.rank++] = d;
    }
    EDGERT_TRY(kernels::validateShape(type.shape, ctx.label()));
    std::vector<std::byte> element(4, std::byte{0});  // float32 0 by default
    if (const onnx::AttributeProto* a = ctx.attr("value")) {
      if (!attrIs(*a, onnx::AttributeProto::TENSOR))
        return attrTypeError(ctx, *a, onnx::AttributeProto::TENSOR);
      EDGERT_ASSIGN_OR_RETURN(Value v, valueFromTensor(a->t(), ctx.name + "/value", "constant"));
      if (v.type.shape.numel() != 1)
        return nodeError(ctx, Errc::kSchema, "value must have one element");
      type.dtype = v.type.dtype;
      element = v.data;
    }
    EDGERT_TRY(checkFoldedBytes(type, ctx.label()));
    std::vector<std::byte> data;
    data.reserve(type.bytes());
    for (std::int64_t i = 0; i < type.shape.numel(); ++i)
      data.insert(data.end(), element.begin(), element.end());
    return emitConstant(ctx, type, std::move(data));
  }

  Result<void> importIdentity(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    return forward(ctx, x);
  }

  // Inference-mode Dropout is the identity; its mask (if used) is all true.
  Result<void> importDropout(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    if (ctx.opset >= 12) {
      EDGERT_ASSIGN_OR_RETURN(const Value* training, constantInput(ctx, 2, "training_mode"));
      if (training != nullptr && training->type.shape.numel() > 0 &&
          elementAsInt(*training, 0) != 0) {
        return nodeError(ctx, Errc::kUnsupported,
                         "training_mode=true is not supported; export the model for inference");
      }
    }
    if (ctx.proto.output_size() > 1 && isUsed(ctx.proto.output(1))) {
      const TensorType maskType{DType::kBool, typeOf(x).shape};
      EDGERT_TRY(checkFoldedBytes(maskType, ctx.label() + ": mask"));
      Value mask;
      mask.name = ctx.proto.output(1);
      mask.type = maskType;
      mask.data.assign(maskType.bytes(), std::byte{1});
      mask.isConstant = true;
      EDGERT_TRY(bind(ctx, ctx.proto.output(1), graph_.addValue(std::move(mask))));
    }
    return forward(ctx, x);
  }

  // Gather and Cast appear in shape computations (Shape -> Gather -> Unsqueeze -> Concat ->
  // Reshape); edgert evaluates them on constants only.
  Result<void> importGather(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId dataId, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(ValueId indicesId, input(ctx, 1));
    const Value& data = value(dataId);
    const Value& indices = value(indicesId);
    if (!data.isConstant || !indices.isConstant) return unsupportedOp(ctx, ctx.opType(), ctx.opset);
    const Shape& ds = data.type.shape;
    EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", 0));
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, ds.rank, "axis"));
    if (!isIntegral(indices.type.dtype))
      return nodeError(ctx, Errc::kSchema, "indices must be integers");
    TensorType type{data.type.dtype, {}};
    for (int i = 0; i < axis; ++i) type.shape.dims[type.shape.rank++] = ds.dims[i];
    if (type.shape.rank + indices.type.shape.rank + ds.rank - axis - 1 > kernels::kMaxRank) {
      return nodeError(ctx, Errc::kUnsupported, "output rank exceeds {}", kernels::kMaxRank);
    }
    for (int i = 0; i < indices.type.shape.rank; ++i)
      type.shape.dims[type.shape.rank++] = indices.type.shape.dims[i];
    for (int i = axis + 1; i < ds.rank; ++i) type.shape.dims[type.shape.rank++] = ds.dims[i];
    const std::int64_t outer = product(ds, 0, axis);
    const std::int64_t inner = product(ds, axis + 1, ds.rank);
    const std::size_t chunk = static_cast<std::size_t>(inner) * kernels::dtypeSize(data.type.dtype);
    EDGERT_TRY(kernels::validateShape(type.shape, ctx.label()));
    EDGERT_TRY(checkFoldedBytes(type, ctx.label()));
    const std::vector<std::int64_t> idx = intsOf(indices);
    std::vector<std::byte> out;
    out.reserve(type.bytes());
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i : idx) {
        if (i < -ds.dims[axis] || i >= ds.dims[axis]) {
          return nodeError(ctx, Errc::kInvalidArgument, "index {} is out of range for axis size {}",
                           i, ds.dims[axis]);
        }
        if (i < 0) i += ds.dims[axis];
        const auto at =
            data.data.begin() +
            static_cast<std::ptrdiff_t>(static_cast<std::size_t>(o * ds.dims[axis] + i) * chunk);
        out.insert(out.end(), at, at + static_cast<std::ptrdiff_t>(chunk));
      }
    }
    return emitConstant(ctx, type, std::move(out));
  }

  Result<void> importCast(const NodeCtx& ctx) {
    EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t to, attrInt(ctx, "to", 0));
    EDGERT_ASSIGN_OR_RETURN(DType dtype,
                            dtypeFromOnnx(static_cast<std::int32_t>(to), ctx.label() + ": target"));
    const Value& v = value(x);
    if (!v.isConstant) {
      if (v.type.dtype == dtype) return forward(ctx, x);
      return unsupportedOp(ctx, ctx.opType(), ctx.opset);
    }
    const TensorType type{dtype, v.type.shape};
    EDGERT_TRY(checkFoldedBytes(type, ctx.label()));
    std::vector<std::byte> out(type.bytes());
    const bool fromFloat = v.type.dtype == DType::kFloat32;
    for (std::size_t i = 0; i < static_cast<std::size_t>(type.shape.numel()); ++i) {
      storeElement(out.data() + i * kernels::dtypeSize(dtype), dtype,
                   fromFloat ? 0 : elementAsInt(v, i), fromFloat ? elementAsDouble(v, i) : 0.0,
                   fromFloat);
    }
    return emitConstant(ctx, type, std::move(out));
  }

  const onnx::ModelProto& model_;
  const ImportOptions& options_;
  Graph graph_;
  std::int64_t opset_ = 0;
  std::unordered_map<std::string, std::int64_t> domainOpsets_;
  std::unordered_map<std::string, ValueId> byName_;  // ONNX value name -> value
  std::unordered_set<std::string> reserved_;         // names the model or the importer uses
  std::unordered_set<std::string> used_;             // names read by a node or a graph output
  std::unordered_set<std::string> graphOutputNames_;
};

const OnnxImporter::OpEntry* OnnxImporter::findOp(std::string_view opType) {
  // Every ONNX op edgert imports, one line each: name, opsets, translation.
  static constexpr OpEntry kOnnxOps[] = {
      {"Conv", 1, kMaxOpset, &OnnxImporter::importConv},
      {"ConvTranspose", 1, kMaxOpset, &OnnxImporter::importConvTranspose},
      {"Gemm", 1, kMaxOpset, &OnnxImporter::importGemm},
      {"MatMul", 1, kMaxOpset, &OnnxImporter::importMatMul},
      {"Add", 1, kMaxOpset, &OnnxImporter::importAdd},
      {"Sub", 1, kMaxOpset, &OnnxImporter::importSub},
      {"Mul", 1, kMaxOpset, &OnnxImporter::importMul},
      {"Div", 1, kMaxOpset, &OnnxImporter::importDiv},
      {"Relu", 1, kMaxOpset, &OnnxImporter::importRelu},
      {"LeakyRelu", 1, kMaxOpset, &OnnxImporter::importLeakyRelu},
      {"Clip", 1, kMaxOpset, &OnnxImporter::importClip},
      {"Sigmoid", 1, kMaxOpset, &OnnxImporter::importSigmoid},
      {"HardSigmoid", 1, kMaxOpset, &OnnxImporter::importHardSigmoid},
      {"HardSwish", 14, kMaxOpset, &OnnxImporter::importHardSwish},
      {"Tanh", 1, kMaxOpset, &OnnxImporter::importTanh},
      {"Softmax", 1, kMaxOpset, &OnnxImporter::importSoftmax},
      {"MaxPool", 1, kMaxOpset, &OnnxImporter::importMaxPool},
      {"AveragePool", 1, kMaxOpset, &OnnxImporter::importAveragePool},
      {"GlobalAveragePool", 1, kMaxOpset, &OnnxImporter::importGlobalAveragePool},
      {"BatchNormalization", 1, kMaxOpset, &OnnxImporter::importBatchNorm},
      {"Concat", 1, kMaxOpset, &OnnxImporter::importConcat},
      {"Reshape", 5, kMaxOpset, &OnnxImporter::importReshape},
      {"Flatten", 1, kMaxOpset, &OnnxImporter::importFlatten},
      {"Squeeze", 1, kMaxOpset, &OnnxImporter::importSqueeze},
      {"Unsqueeze", 1, kMaxOpset, &OnnxImporter::importUnsqueeze},
      {"Transpose", 1, kMaxOpset, &OnnxImporter::importTranspose},
      {"Pad", 2, kMaxOpset, &OnnxImporter::importPad},
      {"Slice", 1, kMaxOpset, &OnnxImporter::importSlice},
      {"Resize", 10, kMaxOpset, &OnnxImporter::importResize},
      {"Upsample", 7, 9, &OnnxImporter::importUpsample},
      {"ReduceMean", 1, kMaxOpset, &OnnxImporter::importReduceMean},
      {"Constant", 1, kMaxOpset, &OnnxImporter::importConstant},
      {"Shape", 1, kMaxOpset, &OnnxImporter::importShape},
      {"ConstantOfShape", 9, kMaxOpset, &OnnxImporter::importConstantOfShape},
      {"Identity", 1, kMaxOpset, &OnnxImporter::importIdentity},
      {"Dropout", 1, kMaxOpset, &OnnxImporter::importDropout},
      {"Gather", 1, kMaxOpset, &OnnxImporter::importGather},
      {"Cast", 1, kMaxOpset, &OnnxImporter::importCast},
  };
  for (const OpEntry& e : kOnnxOps) {
    if (e.opType == opType) return &e;
  }
  return nullptr;
}

}  // namespace

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
