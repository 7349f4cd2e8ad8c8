// ONNX import, elementwise: the Binary family and the activations (importer.hpp).
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::elementwiseOps() {
  static constexpr OpEntry kOps[] = {
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
  };
  return kOps;
}


Result<void> OnnxImporter::importBinary(const NodeCtx& ctx, kernels::BinaryOp op) {
  EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
  kernels::BinaryParams p;
  p.op = op;
  return emitResult(ctx, OpCode::kBinary, p, {a, b});
}

Result<void> OnnxImporter::importAdd(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kAdd); }

Result<void> OnnxImporter::importSub(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kSub); }

Result<void> OnnxImporter::importMul(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kMul); }

Result<void> OnnxImporter::importDiv(const NodeCtx& ctx) { return importBinary(ctx, kernels::BinaryOp::kDiv); }


Result<void> OnnxImporter::importActivation(const NodeCtx& ctx, kernels::Activation kind, float alpha,
                              float beta) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  kernels::ActivationParams p;
  p.kind = kind;
  p.alpha = alpha;
  p.beta = beta;
  return emitResult(ctx, OpCode::kActivation, p, {x});
}

Result<void> OnnxImporter::importRelu(const NodeCtx& ctx) {
  return importActivation(ctx, kernels::Activation::kRelu, 0, 0);
}

Result<void> OnnxImporter::importSigmoid(const NodeCtx& ctx) {
  return importActivation(ctx, kernels::Activation::kSigmoid, 0, 0);
}

Result<void> OnnxImporter::importTanh(const NodeCtx& ctx) {
  return importActivation(ctx, kernels::Activation::kTanh, 0, 0);
}

Result<void> OnnxImporter::importHardSwish(const NodeCtx& ctx) {
  return importActivation(ctx, kernels::Activation::kHardSwish, 0, 0);
}

Result<void> OnnxImporter::importLeakyRelu(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(float alpha, attrFloat(ctx, "alpha", 0.01f));
  return importActivation(ctx, kernels::Activation::kLeakyRelu, alpha, 0);
}

Result<void> OnnxImporter::importHardSigmoid(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(float alpha, attrFloat(ctx, "alpha", 0.2f));
  EDGERT_ASSIGN_OR_RETURN(float beta, attrFloat(ctx, "beta", 0.5f));
  return importActivation(ctx, kernels::Activation::kHardSigmoid, alpha, beta);
}


// A Clip bound given as an input (opset 11+): absent, or a one-element constant.
Result<float> OnnxImporter::clipBound(const NodeCtx& ctx, int index, std::string_view role, float fallback) {
  EDGERT_ASSIGN_OR_RETURN(const Value* v, constantInput(ctx, index, role));
  if (v == nullptr) return fallback;
  if (v->type.shape.numel() != 1) {
    return nodeError(ctx, Errc::kSchema, "the {} operand '{}' should be a scalar, found {}", role,
                     v->name, kernels::formatShape(v->type.shape));
  }
  return static_cast<float>(elementAsDouble(*v, 0));
}


Result<void> OnnxImporter::importClip(const NodeCtx& ctx) {
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
Result<void> OnnxImporter::importSoftmax(const NodeCtx& ctx) {
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

}  // namespace edgert::compiler::onnx_import
