// The importer's helpers (importer.hpp): ONNX element types and tensor data, attributes,
// axes, and convolution and pooling windows.
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

bool isDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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

Error unsupportedOp(const NodeCtx& ctx, std::string_view op, std::int64_t opset) {
  return Error(Errc::kUnsupported,
               fmt::format("unsupported operator {} (opset {}) at node {}", op, opset, ctx.name));
}

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

}  // namespace edgert::compiler::onnx_import
