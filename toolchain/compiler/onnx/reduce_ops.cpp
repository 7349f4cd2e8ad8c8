// ONNX import, reductions (importer.hpp).
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::reduceOps() {
  static constexpr OpEntry kOps[] = {
      {"ReduceMean", 1, kMaxOpset, &OnnxImporter::importReduceMean},
  };
  return kOps;
}


Result<void> OnnxImporter::importReduceMean(const NodeCtx& ctx) {
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

}  // namespace edgert::compiler::onnx_import
