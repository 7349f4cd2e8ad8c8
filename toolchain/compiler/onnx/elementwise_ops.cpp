// ONNX import, elementwise: the Binary and Unary families and the fused-epilogue activations
// (importer.hpp). A new kind of either family is a line in its table here.
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

namespace {

using kernels::BinaryOp;
using kernels::UnaryKind;

// The Binary family: each ONNX op's kind (Mod picks kMod or kFmod by its attribute).
struct BinaryKind {
  std::string_view onnx;
  BinaryOp op;
};
constexpr BinaryKind kBinaryKinds[] = {
    {"Add", BinaryOp::kAdd},         {"Sub", BinaryOp::kSub},
    {"Mul", BinaryOp::kMul},         {"Div", BinaryOp::kDiv},
    {"Pow", BinaryOp::kPow},         {"PRelu", BinaryOp::kPRelu},
    {"Mod", BinaryOp::kMod},         {"Equal", BinaryOp::kEqual},
    {"Less", BinaryOp::kLess},       {"LessOrEqual", BinaryOp::kLessOrEqual},
    {"Greater", BinaryOp::kGreater}, {"GreaterOrEqual", BinaryOp::kGreaterOrEqual},
    {"And", BinaryOp::kAnd},         {"Or", BinaryOp::kOr},
    {"Xor", BinaryOp::kXor},
    // Variadic (1 or more inputs): a chain of Binary nodes (Mean: Add, then Div by the count).
    {"Min", BinaryOp::kMin},         {"Max", BinaryOp::kMax},
    {"Sum", BinaryOp::kAdd},         {"Mean", BinaryOp::kAdd},
};

// The Unary family: each ONNX op's kind, and its attributes with their defaults.
struct UnaryKindEntry {
  std::string_view onnx;
  UnaryKind kind;
  std::string_view alphaName = {};
  float alpha = 0.0f;
  std::string_view betaName = {};
  float beta = 0.0f;
};
constexpr UnaryKindEntry kUnaryKinds[] = {
    {"Neg", UnaryKind::kNeg},
    {"Abs", UnaryKind::kAbs},
    {"Sqrt", UnaryKind::kSqrt},
    {"Exp", UnaryKind::kExp},
    {"Log", UnaryKind::kLog},
    {"Reciprocal", UnaryKind::kReciprocal},
    {"Floor", UnaryKind::kFloor},
    {"Ceil", UnaryKind::kCeil},
    {"Round", UnaryKind::kRound},
    {"Erf", UnaryKind::kErf},
    {"Sign", UnaryKind::kSign},
    {"Not", UnaryKind::kNot},
    {"Softplus", UnaryKind::kSoftplus},
    {"Softsign", UnaryKind::kSoftsign},
    {"Elu", UnaryKind::kElu, "alpha", 1.0f},
    {"Selu", UnaryKind::kSelu, "alpha", 1.67326319217681884765625f, "gamma", 1.05070102214813232421875f},
    {"ThresholdedRelu", UnaryKind::kThresholdedRelu, "alpha", 1.0f},
    {"Sin", UnaryKind::kSin},
    {"Cos", UnaryKind::kCos},
    {"Tan", UnaryKind::kTan},
    {"Asin", UnaryKind::kAsin},
    {"Acos", UnaryKind::kAcos},
    {"Atan", UnaryKind::kAtan},
    {"Sinh", UnaryKind::kSinh},
    {"Cosh", UnaryKind::kCosh},
    {"Asinh", UnaryKind::kAsinh},
    {"Acosh", UnaryKind::kAcosh},
    {"Atanh", UnaryKind::kAtanh},
    {"Shrink", UnaryKind::kShrink, "lambd", 0.5f, "bias", 0.0f},
};

}  // namespace

std::span<const OnnxImporter::OpEntry> OnnxImporter::elementwiseOps() {
  static constexpr OpEntry kOps[] = {
      // Binary (kBinaryKinds)
      {"Add", 1, kMaxOpset, &OnnxImporter::importBinary},
      {"Sub", 1, kMaxOpset, &OnnxImporter::importBinary},
      {"Mul", 1, kMaxOpset, &OnnxImporter::importBinary},
      {"Div", 1, kMaxOpset, &OnnxImporter::importBinary},
      {"Pow", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"PRelu", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"Mod", 10, kMaxOpset, &OnnxImporter::importBinary},
      {"Equal", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"Less", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"LessOrEqual", 12, kMaxOpset, &OnnxImporter::importBinary},
      {"Greater", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"GreaterOrEqual", 12, kMaxOpset, &OnnxImporter::importBinary},
      {"And", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"Or", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"Xor", 7, kMaxOpset, &OnnxImporter::importBinary},
      {"Min", 8, kMaxOpset, &OnnxImporter::importVariadic},
      {"Max", 8, kMaxOpset, &OnnxImporter::importVariadic},
      {"Sum", 8, kMaxOpset, &OnnxImporter::importVariadic},
      {"Mean", 8, kMaxOpset, &OnnxImporter::importVariadic},
      // Unary (kUnaryKinds)
      {"Neg", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Abs", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Sqrt", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Exp", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Log", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Reciprocal", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Floor", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Ceil", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Round", 11, kMaxOpset, &OnnxImporter::importUnary},
      {"Erf", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Sign", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Not", 1, kMaxOpset, &OnnxImporter::importUnary},
      {"Softplus", 1, kMaxOpset, &OnnxImporter::importUnary},
      {"Softsign", 1, kMaxOpset, &OnnxImporter::importUnary},
      {"Elu", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"Selu", 6, kMaxOpset, &OnnxImporter::importUnary},
      {"ThresholdedRelu", 10, kMaxOpset, &OnnxImporter::importUnary},
      {"Sin", 7, kMaxOpset, &OnnxImporter::importUnary},
      {"Cos", 7, kMaxOpset, &OnnxImporter::importUnary},
      {"Tan", 7, kMaxOpset, &OnnxImporter::importUnary},
      {"Asin", 7, kMaxOpset, &OnnxImporter::importUnary},
      {"Acos", 7, kMaxOpset, &OnnxImporter::importUnary},
      {"Atan", 7, kMaxOpset, &OnnxImporter::importUnary},
      {"Sinh", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Cosh", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Asinh", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Acosh", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Atanh", 9, kMaxOpset, &OnnxImporter::importUnary},
      {"Shrink", 9, kMaxOpset, &OnnxImporter::importUnary},
      // The fused-epilogue activations (kernels::Activation)
      {"Relu", 1, kMaxOpset, &OnnxImporter::importRelu},
      {"LeakyRelu", 1, kMaxOpset, &OnnxImporter::importLeakyRelu},
      {"Clip", 1, kMaxOpset, &OnnxImporter::importClip},
      {"Sigmoid", 1, kMaxOpset, &OnnxImporter::importSigmoid},
      {"HardSigmoid", 1, kMaxOpset, &OnnxImporter::importHardSigmoid},
      {"HardSwish", 14, kMaxOpset, &OnnxImporter::importHardSwish},
      {"Tanh", 1, kMaxOpset, &OnnxImporter::importTanh},
      {"Softmax", 1, kMaxOpset, &OnnxImporter::importSoftmax},
      {"LogSoftmax", 1, kMaxOpset, &OnnxImporter::importSoftmax},
  };
  return kOps;
}

Result<void> OnnxImporter::importBinary(const NodeCtx& ctx) {
  const BinaryKind* kind = findKind(kBinaryKinds, ctx.opType());
  if (kind == nullptr) return nodeError(ctx, Errc::kInternal, "no Binary kind for {}", ctx.opType());
  EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
  kernels::BinaryParams p;
  p.op = kind->op;
  if (p.op == BinaryOp::kMod) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t fmod, attrInt(ctx, "fmod", 0));
    if (fmod == 1) p.op = BinaryOp::kFmod;
    else if (fmod != 0) return nodeError(ctx, Errc::kInvalidArgument, "fmod is {}, expected 0 or 1", fmod);
  }
  return emitResult(ctx, OpCode::kBinary, p, {a, b});
}

// Min, Max, Sum and Mean of one or more inputs: ((x0 op x1) op x2) ..., Mean then divided by
// the count.
Result<void> OnnxImporter::importVariadic(const NodeCtx& ctx) {
  const BinaryKind* kind = findKind(kBinaryKinds, ctx.opType());
  if (kind == nullptr) return nodeError(ctx, Errc::kInternal, "no Binary kind for {}", ctx.opType());
  const int count = ctx.proto.input_size();
  if (count < 1) return nodeError(ctx, Errc::kSchema, "needs at least one input");
  EDGERT_ASSIGN_OR_RETURN(ValueId acc, input(ctx, 0));
  const bool mean = ctx.opType() == "Mean";
  if (count == 1 && !mean) return forward(ctx, acc);
  const std::string out = outputName(ctx);
  kernels::BinaryParams p;
  p.op = kind->op;
  for (int i = 1; i < count; ++i) {
    EDGERT_ASSIGN_OR_RETURN(ValueId next, input(ctx, i));
    const bool last = i == count - 1 && !mean;
    EDGERT_ASSIGN_OR_RETURN(acc, emit(ctx, fmt::format("{}/{}", ctx.name, i), OpCode::kBinary, p, {acc, next},
                                      last ? out : uniqueName(fmt::format("{}/{}", out, i))));
  }
  if (mean) {
    if (typeOf(acc).dtype != DType::kFloat32) {
      return nodeError(ctx, Errc::kUnsupported, "Mean of {} is not supported, expected float32",
                       kernels::dtypeName(typeOf(acc).dtype));
    }
    Value n;
    n.name = uniqueName(ctx.name + "/count");
    n.type = TensorType{DType::kFloat32, Shape{}};
    const float c = static_cast<float>(count);
    n.data = toBytes(std::span<const float>(&c, 1));
    n.isConstant = true;
    const ValueId divisor = graph_.addValue(std::move(n));
    p.op = BinaryOp::kDiv;
    EDGERT_ASSIGN_OR_RETURN(acc, emit(ctx, ctx.name + "/mean", OpCode::kBinary, p, {acc, divisor}, out));
  }
  return bind(ctx, ctx.proto.output(0), acc);
}

Result<void> OnnxImporter::importUnary(const NodeCtx& ctx) {
  const UnaryKindEntry* kind = findKind(kUnaryKinds, ctx.opType());
  if (kind == nullptr) return nodeError(ctx, Errc::kInternal, "no Unary kind for {}", ctx.opType());
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  kernels::UnaryParams p;
  p.kind = kind->kind;
  p.alpha = kind->alpha;
  p.beta = kind->beta;
  if (!kind->alphaName.empty()) {
    EDGERT_ASSIGN_OR_RETURN(p.alpha, attrFloat(ctx, kind->alphaName, kind->alpha));
  }
  if (!kind->betaName.empty()) {
    EDGERT_ASSIGN_OR_RETURN(p.beta, attrFloat(ctx, kind->betaName, kind->beta));
  }
  return emitResult(ctx, OpCode::kUnary, p, {x});
}

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


// Softmax and LogSoftmax before opset 13 coerce the input to 2-D at `axis` and normalizes each row:
// lowered as Reshape(rows x cols) -> Softmax(axis 1) -> Reshape(back). When `axis` is the
// last axis that is the same as a plain Softmax on it.
Result<void> OnnxImporter::importSoftmax(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape shape = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", ctx.opset < 13 ? 1 : -1));
  EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, shape.rank, "axis"));
  const OpCode op = ctx.opType() == "LogSoftmax" ? OpCode::kLogSoftmax : OpCode::kSoftmax;
  if (ctx.opset >= 13 || axis == shape.rank - 1) {
    return emitResult(ctx, op, kernels::SoftmaxParams{axis}, {x});
  }
  const std::string out = outputName(ctx);
  kernels::ReshapeParams toRows;
  toRows.shape = Shape::of({product(shape, 0, axis), product(shape, axis, shape.rank)});
  EDGERT_ASSIGN_OR_RETURN(ValueId rows, emit(ctx, ctx.name + "/to_2d", OpCode::kReshape, toRows,
                                             {x}, uniqueName(out + "/2d")));
  EDGERT_ASSIGN_OR_RETURN(ValueId soft,
                          emit(ctx, ctx.name, op, kernels::SoftmaxParams{1}, {rows},
                               uniqueName(out + "/softmax_2d")));
  kernels::ReshapeParams back;
  back.shape = shape;
  EDGERT_ASSIGN_OR_RETURN(ValueId y,
                          emit(ctx, ctx.name + "/from_2d", OpCode::kReshape, back, {soft}, out));
  return bind(ctx, ctx.proto.output(0), y);
}

}  // namespace edgert::compiler::onnx_import
