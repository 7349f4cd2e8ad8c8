// ONNX import, the Reduce family (importer.hpp): ReduceMean, ReduceSum, ReduceMax, ReduceMin,
// ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp, ArgMax and
// ArgMin, one kernel op with a kind. A new kind is a line in kReduceKinds.
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {
namespace {

using kernels::ReduceKind;

struct ReduceKindEntry {
  std::string_view onnx;
  ReduceKind kind;
  std::int64_t axesInputSince;  // the opset from which axes is input 1 instead of an attribute
};
constexpr ReduceKindEntry kReduceKinds[] = {
    {"ReduceMean", ReduceKind::kMean, 18},       {"ReduceSum", ReduceKind::kSum, 13},
    {"ReduceMax", ReduceKind::kMax, 18},         {"ReduceMin", ReduceKind::kMin, 18},
    {"ReduceProd", ReduceKind::kProd, 18},       {"ReduceL1", ReduceKind::kL1, 18},
    {"ReduceL2", ReduceKind::kL2, 18},           {"ReduceSumSquare", ReduceKind::kSumSquare, 18},
    {"ReduceLogSum", ReduceKind::kLogSum, 18},   {"ReduceLogSumExp", ReduceKind::kLogSumExp, 18},
    {"ArgMax", ReduceKind::kArgMax, 0},          {"ArgMin", ReduceKind::kArgMin, 0},
};

}  // namespace

std::span<const OnnxImporter::OpEntry> OnnxImporter::reduceOps() {
  static constexpr OpEntry kOps[] = {
      {"ReduceMean", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceSum", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceMax", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceMin", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceProd", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceL1", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceL2", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceSumSquare", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceLogSum", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ReduceLogSumExp", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ArgMax", 1, kMaxOpset, &OnnxImporter::importReduce},
      {"ArgMin", 1, kMaxOpset, &OnnxImporter::importReduce},
  };
  return kOps;
}

Result<void> OnnxImporter::importReduce(const NodeCtx& ctx) {
  const ReduceKindEntry* kind = findKind(kReduceKinds, ctx.opType());
  if (kind == nullptr) return nodeError(ctx, Errc::kInternal, "no Reduce kind for {}", ctx.opType());
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const int rank = typeOf(x).shape.rank;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t keepDims, attrInt(ctx, "keepdims", 1));
  kernels::ReduceParams p;
  p.kind = kind->kind;
  p.keepDims = keepDims != 0 ? 1 : 0;
  if (kind->kind == ReduceKind::kArgMax || kind->kind == ReduceKind::kArgMin) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t raw, attrInt(ctx, "axis", 0));
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, rank, "axis"));
    EDGERT_ASSIGN_OR_RETURN(std::int64_t last, attrInt(ctx, "select_last_index", 0));
    p.axesMask = 1u << axis;
    p.selectLastIndex = last != 0 ? 1 : 0;
    return emitResult(ctx, OpCode::kReduce, p, {x});
  }
  IntList axes;
  if (ctx.opset >= kind->axesInputSince) {
    EDGERT_ASSIGN_OR_RETURN(axes, constantInts(ctx, 1, "axes"));
  } else {
    EDGERT_ASSIGN_OR_RETURN(axes, attrInts(ctx, "axes"));
  }
  if (!axes || axes->empty()) {
    // No axes: every axis, unless noop_with_empty_axes (opset 13+ of the input form) asks for
    // the identity.
    EDGERT_ASSIGN_OR_RETURN(std::int64_t noop, attrInt(ctx, "noop_with_empty_axes", 0));
    if (noop != 0) return forward(ctx, x);
    for (int i = 0; i < rank; ++i) p.axesMask |= 1u << i;
  }
  for (std::int64_t raw : axes.value_or(std::vector<std::int64_t>{})) {
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, rank, "axis"));
    p.axesMask |= 1u << axis;
  }
  return emitResult(ctx, OpCode::kReduce, p, {x});
}

}  // namespace edgert::compiler::onnx_import
