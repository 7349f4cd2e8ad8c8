// ONNX import, indexing and selection: Gather, GatherElements, Where, TopK, Trilu,
// NonMaxSuppression (importer.hpp). Constant operands of these ops fold through their kernels like any node.
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::indexOps() {
  static constexpr OpEntry kOps[] = {
      {"Gather", 1, kMaxOpset, &OnnxImporter::importGather},
      {"GatherElements", 11, kMaxOpset, &OnnxImporter::importGather},
      {"Where", 9, kMaxOpset, &OnnxImporter::importWhere},
      {"TopK", 1, kMaxOpset, &OnnxImporter::importTopK},
      {"Trilu", 14, kMaxOpset, &OnnxImporter::importTrilu},
      {"NonMaxSuppression", 10, kMaxOpset, &OnnxImporter::importNonMaxSuppression},
  };
  return kOps;
}

// Constant indices are checked here, where the error can name them; indices computed at
// run time that fall outside the axis read zeros (kernels/ops.hpp).
Result<void> OnnxImporter::checkConstantIndices(const NodeCtx& ctx, ValueId indices, std::int64_t dim) {
  const Value& v = value(indices);
  if (!isIntegral(v.type.dtype)) {
    return nodeError(ctx, Errc::kSchema, "indices are {}, expected int32 or int64", kernels::dtypeName(v.type.dtype));
  }
  if (!v.isConstant) return success();
  for (std::int64_t i : intsOf(v)) {
    if (i < -dim || i >= dim) {
      return nodeError(ctx, Errc::kInvalidArgument, "index {} is out of range for axis size {}", i, dim);
    }
  }
  return success();
}

// Gather and GatherElements: data, indices and an axis attribute alike.
Result<void> OnnxImporter::importGather(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId data, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId indices, input(ctx, 1));
  const Shape& ds = typeOf(data).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", 0));
  EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, ds.rank, "axis"));
  EDGERT_TRY(checkConstantIndices(ctx, indices, ds.dims[axis]));
  kernels::GatherParams p;
  p.axis = axis;
  const OpCode op = ctx.opType() == "GatherElements" ? OpCode::kGatherElements : OpCode::kGather;
  return emitResult(ctx, op, p, {data, indices});
}

Result<void> OnnxImporter::importWhere(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId condition, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId y, input(ctx, 2));
  return emitResult(ctx, OpCode::kWhere, kernels::WhereParams{}, {condition, x, y});
}

// TopK: k is an attribute before opset 10, then a constant input (edgert's shapes are
// static). sorted=0 leaves the order to the runtime: edgert sorts anyway.
Result<void> OnnxImporter::importTopK(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& shape = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", -1));
  EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, shape.rank, "axis"));
  kernels::TopKParams p;
  p.axis = axis;
  if (ctx.opset < 10) {
    EDGERT_ASSIGN_OR_RETURN(p.k, attrInt(ctx, "k", -1));
  } else {
    EDGERT_ASSIGN_OR_RETURN(IntList k, constantInts(ctx, 1, "K"));
    if (!k || k->size() != 1) return nodeError(ctx, Errc::kSchema, "K must hold one value");
    p.k = k->front();
  }
  if (p.k < 0 || p.k > shape.dims[axis]) {
    return nodeError(ctx, Errc::kInvalidArgument, "k {} is outside 0..{} (axis {} of {})", p.k, shape.dims[axis],
                     axis, kernels::formatShape(shape));
  }
  EDGERT_ASSIGN_OR_RETURN(std::int64_t largest, attrInt(ctx, "largest", 1));
  p.largest = largest != 0 ? 1 : 0;
  if (ctx.proto.output_size() != 2) {
    return nodeError(ctx, Errc::kSchema, "{} outputs, expected Values and Indices", ctx.proto.output_size());
  }
  return emitResults(ctx, OpCode::kTopK, p, {x});
}

Result<void> OnnxImporter::importTrilu(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  kernels::TriluParams p;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t upper, attrInt(ctx, "upper", 1));
  p.upper = upper != 0 ? 1 : 0;
  EDGERT_ASSIGN_OR_RETURN(const Value* k, constantInput(ctx, 1, "k"));
  if (k != nullptr) {
    if (!isIntegral(k->type.dtype) || k->type.shape.numel() != 1) {
      return nodeError(ctx, Errc::kSchema, "k must be one integer");
    }
    p.k = elementAsInt(*k, 0);
  }
  return emitResult(ctx, OpCode::kTrilu, p, {x});
}

// NonMaxSuppression: its output has a static bound (every batch and class keeping
// max_output_boxes_per_class boxes), the rows past the kept ones -1, and a second output
// counts the kept rows. It is named after the first with "_count" and, when the first is a
// graph output, becomes one too (after it). The thresholds and the bound must be constant.
Result<void> OnnxImporter::importNonMaxSuppression(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId boxes, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId scores, input(ctx, 1));
  kernels::NmsParams p;
  EDGERT_ASSIGN_OR_RETURN(const Value* most, constantInput(ctx, 2, "max_output_boxes_per_class"));
  EDGERT_ASSIGN_OR_RETURN(const Value* iou, constantInput(ctx, 3, "iou_threshold"));
  EDGERT_ASSIGN_OR_RETURN(const Value* score, constantInput(ctx, 4, "score_threshold"));
  for (const Value* v : {most, iou, score}) {
    if (v != nullptr && v->type.shape.numel() != 1) {
      return nodeError(ctx, Errc::kSchema, "'{}' must hold one value", v->name);
    }
  }
  if (most != nullptr) p.maxPerClass = elementAsInt(*most, 0);
  if (iou != nullptr) p.iouThreshold = static_cast<float>(elementAsDouble(*iou, 0));
  if (score != nullptr) {
    p.scoreThreshold = static_cast<float>(elementAsDouble(*score, 0));
    p.hasScoreThreshold = 1;
  }
  EDGERT_ASSIGN_OR_RETURN(std::int64_t center, attrInt(ctx, "center_point_box", 0));
  p.centerPointBox = center != 0 ? 1 : 0;
  const std::string out = outputName(ctx);
  EDGERT_ASSIGN_OR_RETURN(auto ids, addNode(ctx, ctx.name, OpCode::kNonMaxSuppression, paramBytes(p), {boxes, scores},
                                            {out, uniqueName(out + "_count")}));
  paddedCounts_[out] = ids[1];
  return bind(ctx, ctx.proto.output(0), ids[0]);
}

}  // namespace edgert::compiler::onnx_import
