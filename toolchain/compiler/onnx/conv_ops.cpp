// ONNX import, convolution, pooling, normalization and dense products (importer.hpp).
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::convOps() {
  static constexpr OpEntry kOps[] = {
      {"Conv", 1, kMaxOpset, &OnnxImporter::importConv},
      {"ConvTranspose", 1, kMaxOpset, &OnnxImporter::importConvTranspose},
      {"Gemm", 1, kMaxOpset, &OnnxImporter::importGemm},
      {"MatMul", 1, kMaxOpset, &OnnxImporter::importMatMul},
      {"MaxPool", 1, kMaxOpset, &OnnxImporter::importMaxPool},
      {"AveragePool", 1, kMaxOpset, &OnnxImporter::importAveragePool},
      {"GlobalAveragePool", 1, kMaxOpset, &OnnxImporter::importGlobalAveragePool},
      {"BatchNormalization", 1, kMaxOpset, &OnnxImporter::importBatchNorm},
  };
  return kOps;
}



Result<void> OnnxImporter::importConv(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId w, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, optionalInput(ctx, 2));
  EDGERT_ASSIGN_OR_RETURN(int rank, spatialRankOf(ctx, typeOf(x), "convolution"));
  const Shape& ws = typeOf(w).shape;
  if (ws.rank != rank + 2) {
    return nodeError(ctx, Errc::kInvalidArgument, "weights {} should have rank {}",
                     kernels::formatShape(ws), rank + 2);
  }
  EDGERT_ASSIGN_OR_RETURN(Window win, readWindow(ctx, rank, ws.span().subspan(2)));
  EDGERT_TRY(resolvePads(ctx, win, typeOf(x).shape));
  kernels::ConvParams p;
  fillWindow(win, p);
  EDGERT_ASSIGN_OR_RETURN(std::int64_t group, attrInt(ctx, "group", 1));
  if (group < 1 || group > kInt32Max)
    return nodeError(ctx, Errc::kInvalidArgument, "group {} must be positive", group);
  p.group = static_cast<std::int32_t>(group);
  p.hasBias = b != kNoValue ? 1 : 0;
  return emitResult(ctx, OpCode::kConv, p, {x, w, b});
}


// ConvTranspose pads: explicit, or derived from output_shape (or from auto_pad SAME_*,
// which asks for output = input * stride) as the ONNX spec gives:
//   total = stride * (in - 1) + output_padding + ((k - 1) * dilation + 1) - out
//   SAME_UPPER: begin = total / 2, end = total - begin; otherwise the odd pixel at the begin.
// An output larger than the transposed convolution covers (total < 0) gets no pads and the
// missing rows at the end as output padding (bias only), as ONNX's tests and ONNX Runtime do.
Result<void> OnnxImporter::resolveTransposePads(const NodeCtx& ctx, Window& w, const Shape& x,
                                  std::vector<std::int64_t>& outputPadding) {
  EDGERT_ASSIGN_OR_RETURN(std::string autoPad, attrString(ctx, "auto_pad", "NOTSET"));
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER") {
    return nodeError(ctx, Errc::kSchema,
                     "auto_pad '{}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", autoPad);
  }
  EDGERT_ASSIGN_OR_RETURN(IntList outputShape, attrInts(ctx, "output_shape"));
  const bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!outputShape && !same) return autoPad == "VALID" ? success() : readExplicitPads(ctx, w);
  std::vector<std::int64_t> target(static_cast<std::size_t>(w.rank));
  for (int i = 0; i < w.rank; ++i)
    target[static_cast<std::size_t>(i)] = x.dims[2 + i] * w.stride[i];
  if (outputShape) {
    const auto n = static_cast<int>(outputShape->size());
    if (n != w.rank && n != w.rank + 2) {
      return nodeError(ctx, Errc::kSchema, "attribute 'output_shape' has {} values, expected {}",
                       n, w.rank);
    }
    target.assign(outputShape->end() - w.rank, outputShape->end());
  }
  for (int i = 0; i < w.rank; ++i) {
    const auto s = static_cast<std::size_t>(i);
    const std::int64_t total = w.stride[i] * (x.dims[2 + i] - 1) + outputPadding[s] +
                               ((w.kernel[i] - 1) * w.dilation[i] + 1) - target[s];
    if (total > 2 * kInt32Max || -total > kInt32Max - outputPadding[s]) {
      return nodeError(ctx, Errc::kInvalidArgument,
                       "output size {} on spatial axis {} needs padding {}", target[s], i, total);
    }
    if (total < 0) {
      outputPadding[s] -= total;
      continue;
    }
    w.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
    w.padEnd[i] = total - w.padBegin[i];
  }
  return success();
}


Result<void> OnnxImporter::importConvTranspose(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId w, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, optionalInput(ctx, 2));
  EDGERT_ASSIGN_OR_RETURN(int rank, spatialRankOf(ctx, typeOf(x), "transposed convolution"));
  const Shape& ws = typeOf(w).shape;
  if (ws.rank != rank + 2) {
    return nodeError(ctx, Errc::kInvalidArgument, "weights {} should have rank {}",
                     kernels::formatShape(ws), rank + 2);
  }
  EDGERT_ASSIGN_OR_RETURN(Window win, readWindow(ctx, rank, ws.span().subspan(2)));
  EDGERT_ASSIGN_OR_RETURN(auto outputPadding, spatialInts(ctx, "output_padding", rank, 0, 0));
  EDGERT_TRY(resolveTransposePads(ctx, win, typeOf(x).shape, outputPadding));
  kernels::ConvTransposeParams p;
  fillWindow(win, p);
  for (int i = 0; i < rank; ++i) {
    p.outputPadding[2 - rank + i] =
        static_cast<std::int32_t>(outputPadding[static_cast<std::size_t>(i)]);
  }
  EDGERT_ASSIGN_OR_RETURN(std::int64_t group, attrInt(ctx, "group", 1));
  if (group < 1 || group > kInt32Max)
    return nodeError(ctx, Errc::kInvalidArgument, "group {} must be positive", group);
  p.group = static_cast<std::int32_t>(group);
  p.hasBias = b != kNoValue ? 1 : 0;
  return emitResult(ctx, OpCode::kConvTranspose, p, {x, w, b});
}


Result<kernels::PoolParams> OnnxImporter::poolParams(const NodeCtx& ctx, ValueId x) {
  EDGERT_ASSIGN_OR_RETURN(int rank, spatialRankOf(ctx, typeOf(x), "pooling"));
  EDGERT_ASSIGN_OR_RETURN(Window win, readWindow(ctx, rank, {}));
  EDGERT_TRY(resolvePads(ctx, win, typeOf(x).shape));
  kernels::PoolParams p;
  fillWindow(win, p);
  EDGERT_ASSIGN_OR_RETURN(std::int64_t ceilMode, attrInt(ctx, "ceil_mode", 0));
  p.ceilMode = ceilMode != 0 ? 1 : 0;
  return p;
}


Result<void> OnnxImporter::importMaxPool(const NodeCtx& ctx) {
  EDGERT_TRY(rejectUsedOutputs(ctx, 1, "the Indices output"));
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(kernels::PoolParams p, poolParams(ctx, x));
  return emitResult(ctx, OpCode::kMaxPool, p, {x});
}


Result<void> OnnxImporter::importAveragePool(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(kernels::PoolParams p, poolParams(ctx, x));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t includePad, attrInt(ctx, "count_include_pad", 0));
  p.countIncludePad = includePad != 0 ? 1 : 0;
  return emitResult(ctx, OpCode::kAveragePool, p, {x});
}


Result<void> OnnxImporter::importGlobalAveragePool(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_TRY(spatialRankOf(ctx, typeOf(x), "pooling"));
  return emitResult(ctx, OpCode::kGlobalAveragePool, kernels::GlobalPoolParams{}, {x});
}


Result<void> OnnxImporter::importBatchNorm(const NodeCtx& ctx) {
  if (ctx.opset < 9) {
    EDGERT_ASSIGN_OR_RETURN(std::int64_t spatial, attrInt(ctx, "spatial", 1));
    if (spatial == 0) {
      return nodeError(ctx, Errc::kUnsupported,
                       "spatial=0 (per-activation statistics) is not supported");
    }
  }
  EDGERT_ASSIGN_OR_RETURN(std::int64_t training, attrInt(ctx, "training_mode", 0));
  if (training != 0) {
    return nodeError(ctx, Errc::kUnsupported,
                     "training_mode=1 is not supported; export the model for inference");
  }
  EDGERT_TRY(rejectUsedOutputs(ctx, 1, "training-mode statistics"));
  std::vector<ValueId> inputs;
  for (int i = 0; i < 5; ++i) {
    EDGERT_ASSIGN_OR_RETURN(ValueId id, input(ctx, i));
    inputs.push_back(id);
  }
  kernels::BatchNormParams p;
  EDGERT_ASSIGN_OR_RETURN(p.epsilon, attrFloat(ctx, "epsilon", 1e-5f));
  return emitResult(ctx, OpCode::kBatchNorm, p, std::move(inputs));
}



Result<void> OnnxImporter::importGemm(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
  EDGERT_ASSIGN_OR_RETURN(ValueId c, optionalInput(ctx, 2));
  kernels::GemmParams p;
  EDGERT_ASSIGN_OR_RETURN(p.alpha, attrFloat(ctx, "alpha", 1.0f));
  EDGERT_ASSIGN_OR_RETURN(p.beta, attrFloat(ctx, "beta", 1.0f));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t transA, attrInt(ctx, "transA", 0));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t transB, attrInt(ctx, "transB", 0));
  p.transA = transA != 0 ? 1 : 0;
  p.transB = transB != 0 ? 1 : 0;
  p.hasC = c != kNoValue ? 1 : 0;
  return emitResult(ctx, OpCode::kGemm, p, {a, b, c});
}


Result<void> OnnxImporter::importMatMul(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId a, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, input(ctx, 1));
  return emitResult(ctx, OpCode::kMatMul, kernels::MatMulParams{}, {a, b});
}

}  // namespace edgert::compiler::onnx_import
