// ONNX import, constants and the shape subgraphs evaluated during import (importer.hpp).
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::constantOps() {
  static constexpr OpEntry kOps[] = {
      {"Constant", 1, kMaxOpset, &OnnxImporter::importConstant},
      {"Shape", 1, kMaxOpset, &OnnxImporter::importShape},
      {"Size", 1, kMaxOpset, &OnnxImporter::importSize},
      {"ConstantOfShape", 9, kMaxOpset, &OnnxImporter::importConstantOfShape},
      {"Identity", 1, kMaxOpset, &OnnxImporter::importIdentity},
      {"Dropout", 1, kMaxOpset, &OnnxImporter::importDropout},
      {"Gather", 1, kMaxOpset, &OnnxImporter::importGather},
      {"Cast", 1, kMaxOpset, &OnnxImporter::importCast},
  };
  return kOps;
}



Result<void> OnnxImporter::importConstant(const NodeCtx& ctx) {
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


Result<void> OnnxImporter::importShape(const NodeCtx& ctx) {
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


// Size: the element count of a statically shaped input, an int64 scalar.
Result<void> OnnxImporter::importSize(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const std::int64_t n = typeOf(x).shape.numel();
  return emitConstant(ctx, TensorType{DType::kInt64, Shape{}}, toBytes(std::span<const std::int64_t>(&n, 1)));
}

Result<void> OnnxImporter::importConstantOfShape(const NodeCtx& ctx) {
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


Result<void> OnnxImporter::importIdentity(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  return forward(ctx, x);
}


// Inference-mode Dropout is the identity; its mask (if used) is all true.
Result<void> OnnxImporter::importDropout(const NodeCtx& ctx) {
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
Result<void> OnnxImporter::importGather(const NodeCtx& ctx) {
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


Result<void> OnnxImporter::importCast(const NodeCtx& ctx) {
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

}  // namespace edgert::compiler::onnx_import
