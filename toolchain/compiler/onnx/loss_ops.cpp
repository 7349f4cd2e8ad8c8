// ONNX import, losses: NegativeLogLikelihoodLoss, and SoftmaxCrossEntropyLoss made of a
// LogSoftmax over the classes and it (importer.hpp). Inference graphs that score a model
// against labels on the device use them.
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::lossOps() {
  static constexpr OpEntry kOps[] = {
      {"NegativeLogLikelihoodLoss", 12, kMaxOpset, &OnnxImporter::importNllLoss},
      {"SoftmaxCrossEntropyLoss", 12, kMaxOpset, &OnnxImporter::importSoftmaxCrossEntropy},
  };
  return kOps;
}

Result<kernels::NllLossParams> OnnxImporter::lossParams(const NodeCtx& ctx) {
  kernels::NllLossParams p;
  EDGERT_ASSIGN_OR_RETURN(std::string reduction, attrString(ctx, "reduction", "mean"));
  if (reduction == "none") {
    p.reduction = kernels::LossReduction::kNone;
  } else if (reduction == "sum") {
    p.reduction = kernels::LossReduction::kSum;
  } else if (reduction == "mean") {
    p.reduction = kernels::LossReduction::kMean;
  } else {
    return nodeError(ctx, Errc::kInvalidArgument, "reduction '{}' is not none, sum or mean", reduction);
  }
  if (ctx.attr("ignore_index") != nullptr) {
    EDGERT_ASSIGN_OR_RETURN(p.ignoreIndex, attrInt(ctx, "ignore_index", 0));
    p.hasIgnoreIndex = 1;
  }
  return p;
}

Result<void> OnnxImporter::importNllLoss(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId target, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId weight, optionalInput(ctx, 2));
  EDGERT_ASSIGN_OR_RETURN(kernels::NllLossParams p, lossParams(ctx));
  return emitResult(ctx, OpCode::kNllLoss, p, {x, target, weight});
}

// SoftmaxCrossEntropyLoss: LogSoftmax over axis 1 (its result is the optional second output,
// log_prob), then NegativeLogLikelihoodLoss with the same reduction and ignore_index.
Result<void> OnnxImporter::importSoftmaxCrossEntropy(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId scores, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId labels, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId weight, optionalInput(ctx, 2));
  EDGERT_ASSIGN_OR_RETURN(kernels::NllLossParams p, lossParams(ctx));
  if (typeOf(scores).shape.rank < 2) {
    return nodeError(ctx, Errc::kInvalidArgument, "scores {} are not N x C x ...", kernels::formatShape(typeOf(scores).shape));
  }
  const bool wantsLogProb = ctx.proto.output_size() > 1 && !ctx.proto.output(1).empty();
  const std::string out = outputName(ctx);
  kernels::SoftmaxParams softmax;
  softmax.axis = 1;
  EDGERT_ASSIGN_OR_RETURN(ValueId logProb, emit(ctx, ctx.name + "/log_softmax", OpCode::kLogSoftmax, softmax, {scores},
                                                wantsLogProb ? ctx.proto.output(1) : uniqueName(out + "/log_prob")));
  if (wantsLogProb) EDGERT_TRY(bind(ctx, ctx.proto.output(1), logProb));
  EDGERT_ASSIGN_OR_RETURN(ValueId loss, emit(ctx, ctx.name, OpCode::kNllLoss, p, {logProb, labels, weight}, out));
  return bind(ctx, ctx.proto.output(0), loss);
}

}  // namespace edgert::compiler::onnx_import
