// ONNX import, constants and the shape subgraphs evaluated during import, and Cast
// (importer.hpp).
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
      {"Cast", 1, kMaxOpset, &OnnxImporter::importCast},
      {"Range", 11, kMaxOpset, &OnnxImporter::importRange},
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


// Cast: a kernel node (kernels/ops.hpp says how each conversion rounds and saturates); on a
// constant, as in shape computations (Shape -> Cast -> ...), it folds like any node.
Result<void> OnnxImporter::importCast(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t to, attrInt(ctx, "to", 0));
  EDGERT_ASSIGN_OR_RETURN(DType dtype,
                          dtypeFromOnnx(static_cast<std::int32_t>(to), ctx.label() + ": target"));
  if (typeOf(x).dtype == dtype) return forward(ctx, x);
  kernels::CastParams p;
  p.to = dtype;
  return emitResult(ctx, OpCode::kCast, p, {x});
}


// Range: start, start + delta, ... up to limit (excluded), from constant scalars (the
// output's length depends on their values, so they must be known at compile time).
Result<void> OnnxImporter::importRange(const NodeCtx& ctx) {
  const Value* operands[3] = {};
  static constexpr std::string_view kRoles[] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    EDGERT_ASSIGN_OR_RETURN(operands[i], constantInput(ctx, i, kRoles[i]));
    if (operands[i] == nullptr || operands[i]->type.shape.numel() != 1) {
      return nodeError(ctx, Errc::kSchema, "{} must be a scalar", kRoles[i]);
    }
  }
  const DType dtype = operands[0]->type.dtype;
  if (operands[1]->type.dtype != dtype || operands[2]->type.dtype != dtype || dtype == DType::kBool) {
    return nodeError(ctx, Errc::kSchema, "start, limit and delta must share one numeric type");
  }
  const bool integral = isIntegral(dtype);
  const double start = integral ? static_cast<double>(elementAsInt(*operands[0], 0)) : elementAsDouble(*operands[0], 0);
  const double limit = integral ? static_cast<double>(elementAsInt(*operands[1], 0)) : elementAsDouble(*operands[1], 0);
  const double delta = integral ? static_cast<double>(elementAsInt(*operands[2], 0)) : elementAsDouble(*operands[2], 0);
  if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
    return nodeError(ctx, Errc::kInvalidArgument, "start {}, limit {} and delta {} must be finite, delta not 0",
                     start, limit, delta);
  }
  const double count = std::max(std::ceil((limit - start) / delta), 0.0);
  const TensorType type{dtype, Shape::of({static_cast<std::int64_t>(std::min(count, 1e15))})};
  EDGERT_TRY(checkFoldedBytes(type, ctx.label()));
  std::vector<std::byte> out(type.bytes());
  const std::size_t size = kernels::dtypeSize(dtype);
  for (std::int64_t i = 0; i < type.shape.dims[0]; ++i) {
    if (integral) {
      const std::int64_t v = elementAsInt(*operands[0], 0) + i * elementAsInt(*operands[2], 0);
      storeElement(out.data() + static_cast<std::size_t>(i) * size, dtype, v, 0.0, false);
    } else {
      storeElement(out.data() + static_cast<std::size_t>(i) * size, dtype, 0, start + static_cast<double>(i) * delta, true);
    }
  }
  return emitConstant(ctx, type, std::move(out));
}

}  // namespace edgert::compiler::onnx_import
