// ONNX import, normalization: LayerNormalization, and InstanceNormalization made of it
// (importer.hpp). BatchNormalization, which folds into convolutions, is in conv_ops.cpp.
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::normalizationOps() {
  static constexpr OpEntry kOps[] = {
      {"LayerNormalization", 17, kMaxOpset, &OnnxImporter::importLayerNorm},
      {"InstanceNormalization", 6, kMaxOpset, &OnnxImporter::importInstanceNorm},
  };
  return kOps;
}

Result<void> OnnxImporter::importLayerNorm(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId scale, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId bias, optionalInput(ctx, 2));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t stash, attrInt(ctx, "stash_type", 1));
  if (stash != 1) {
    return nodeError(ctx, Errc::kUnsupported, "stash_type {} is not supported (only 1, float32)", stash);
  }
  kernels::LayerNormParams p;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", -1));
  EDGERT_ASSIGN_OR_RETURN(p.axis, normalizeAxis(ctx, rawAxis, typeOf(x).shape.rank, "axis"));
  EDGERT_ASSIGN_OR_RETURN(p.epsilon, attrFloat(ctx, "epsilon", 1e-5f));
  if (ctx.proto.output_size() < 1 || ctx.proto.output_size() > 3) {
    return nodeError(ctx, Errc::kSchema, "{} outputs, expected 1 to 3", ctx.proto.output_size());
  }
  return emitResults(ctx, OpCode::kLayerNorm, p, {x, scale, bias});
}

// InstanceNormalization: each (n, c) plane normalized (a LayerNorm from axis 2 with the
// scale 1), then the per-channel scale and B (a Mul and an Add by C x 1 ... x 1 constants or
// values, which the compiler's passes may fold into what follows).
Result<void> OnnxImporter::importInstanceNorm(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId scale, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId bias, input(ctx, 2));
  const Shape& xs = typeOf(x).shape;
  if (xs.rank < 3) {
    return nodeError(ctx, Errc::kInvalidArgument, "X {} needs N, C and at least one spatial dim",
                     kernels::formatShape(xs));
  }
  // scale and B as C x 1 x ... x 1, to broadcast over the planes.
  Shape perChannel;
  perChannel.rank = xs.rank - 1;
  perChannel.dims[0] = xs.dims[1];
  for (int i = 1; i < perChannel.rank; ++i) perChannel.dims[i] = 1;
  for (ValueId v : {scale, bias}) {
    if (typeOf(v).shape.numel() != xs.dims[1]) {
      return nodeError(ctx, Errc::kInvalidArgument, "scale and B must hold C = {} values, '{}' is {}", xs.dims[1],
                       value(v).name, kernels::formatShape(typeOf(v).shape));
    }
  }
  kernels::LayerNormParams norm;
  norm.axis = 2;
  EDGERT_ASSIGN_OR_RETURN(norm.epsilon, attrFloat(ctx, "epsilon", 1e-5f));
  const float one = 1.0f;
  const ValueId unit = addConstant(ctx.name + "/one", TensorType{DType::kFloat32, Shape::of({1})},
                                   toBytes(std::span<const float>(&one, 1)));
  const std::string out = outputName(ctx);
  EDGERT_ASSIGN_OR_RETURN(ValueId normalized, emit(ctx, ctx.name + "/normalize", OpCode::kLayerNorm, norm, {x, unit},
                                                   uniqueName(out + "/normalized")));
  kernels::ReshapeParams channels;
  channels.shape = perChannel;
  EDGERT_ASSIGN_OR_RETURN(ValueId s, emit(ctx, ctx.name + "/scale", OpCode::kReshape, channels, {scale},
                                          uniqueName(out + "/scale")));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, emit(ctx, ctx.name + "/bias", OpCode::kReshape, channels, {bias},
                                          uniqueName(out + "/bias")));
  kernels::BinaryParams mul;
  mul.op = kernels::BinaryOp::kMul;
  EDGERT_ASSIGN_OR_RETURN(ValueId scaled, emit(ctx, ctx.name + "/mul", OpCode::kBinary, mul, {normalized, s},
                                               uniqueName(out + "/scaled")));
  kernels::BinaryParams add;
  add.op = kernels::BinaryOp::kAdd;
  EDGERT_ASSIGN_OR_RETURN(ValueId y, emit(ctx, ctx.name + "/add", OpCode::kBinary, add, {scaled, b}, out));
  return bind(ctx, ctx.proto.output(0), y);
}

}  // namespace edgert::compiler::onnx_import
