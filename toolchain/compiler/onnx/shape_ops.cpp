// ONNX import, data movement: shapes, concatenation, slicing, padding and resizing (importer.hpp).
#include "compiler/onnx/importer.hpp"

namespace edgert::compiler::onnx_import {

std::span<const OnnxImporter::OpEntry> OnnxImporter::shapeOps() {
  static constexpr OpEntry kOps[] = {
      {"Concat", 1, kMaxOpset, &OnnxImporter::importConcat},
      {"Reshape", 5, kMaxOpset, &OnnxImporter::importReshape},
      {"Flatten", 1, kMaxOpset, &OnnxImporter::importFlatten},
      {"Squeeze", 1, kMaxOpset, &OnnxImporter::importSqueeze},
      {"Unsqueeze", 1, kMaxOpset, &OnnxImporter::importUnsqueeze},
      {"Transpose", 1, kMaxOpset, &OnnxImporter::importTranspose},
      {"Pad", 2, kMaxOpset, &OnnxImporter::importPad},
      {"Slice", 1, kMaxOpset, &OnnxImporter::importSlice},
      {"Split", 2, kMaxOpset, &OnnxImporter::importSplit},
      {"Resize", 10, kMaxOpset, &OnnxImporter::importResize},
      {"Upsample", 7, 9, &OnnxImporter::importUpsample},
      {"Expand", 8, kMaxOpset, &OnnxImporter::importExpand},
      {"Tile", 6, kMaxOpset, &OnnxImporter::importTile},
      {"DepthToSpace", 1, kMaxOpset, &OnnxImporter::importDepthToSpace},
      {"SpaceToDepth", 1, kMaxOpset, &OnnxImporter::importSpaceToDepth},
  };
  return kOps;
}



Result<void> OnnxImporter::importConcat(const NodeCtx& ctx) {
  std::vector<ValueId> inputs;
  for (int i = 0; i < ctx.proto.input_size(); ++i) {
    EDGERT_ASSIGN_OR_RETURN(ValueId id, input(ctx, i));
    inputs.push_back(id);
  }
  if (inputs.empty()) return nodeError(ctx, Errc::kSchema, "has no inputs");
  if (!ctx.attr("axis")) return nodeError(ctx, Errc::kSchema, "attribute 'axis' is missing");
  EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", 0));
  EDGERT_ASSIGN_OR_RETURN(int axis,
                          normalizeAxis(ctx, rawAxis, typeOf(inputs[0]).shape.rank, "axis"));
  return emitResult(ctx, OpCode::kConcat, kernels::ConcatParams{axis}, std::move(inputs));
}


Result<void> OnnxImporter::emitReshape(const NodeCtx& ctx, ValueId x, const Shape& shape) {
  kernels::ReshapeParams p;
  p.shape = shape;
  return emitResult(ctx, OpCode::kReshape, p, {x});
}


// Reshape's target: 0 copies the input dim (unless allowzero), -1 takes what is left.
Result<Shape> OnnxImporter::reshapeTarget(const NodeCtx& ctx, const Shape& in,
                            const std::vector<std::int64_t>& spec, bool allowZero) {
  if (static_cast<int>(spec.size()) > kernels::kMaxRank) {
    return nodeError(ctx, Errc::kUnsupported, "target rank {} exceeds {}", spec.size(),
                     kernels::kMaxRank);
  }
  Shape out;
  out.rank = static_cast<std::int32_t>(spec.size());
  int inferred = -1;
  std::int64_t known = 1;
  for (int i = 0; i < out.rank; ++i) {
    std::int64_t d = spec[static_cast<std::size_t>(i)];
    if (d == 0 && !allowZero) {
      if (i >= in.rank) {
        return nodeError(ctx, Errc::kInvalidArgument,
                         "shape [{}] copies axis {} of a rank-{} input", fmt::join(spec, ", "), i,
                         in.rank);
      }
      d = in.dims[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return nodeError(ctx, Errc::kInvalidArgument, "shape [{}] has two -1",
                         fmt::join(spec, ", "));
      if (allowZero && std::find(spec.begin(), spec.end(), 0) != spec.end()) {
        return nodeError(ctx, Errc::kInvalidArgument,
                         "shape [{}] has both -1 and 0 with allowzero=1", fmt::join(spec, ", "));
      }
      inferred = i;
      continue;
    }
    if (d < 0)
      return nodeError(ctx, Errc::kInvalidArgument, "shape [{}] has dimension {}",
                       fmt::join(spec, ", "), d);
    if (d > kernels::kMaxElements || (d != 0 && known > kernels::kMaxElements / d)) {
      return nodeError(ctx, Errc::kInvalidArgument, "shape [{}] has more than 2^40 elements",
                       fmt::join(spec, ", "));
    }
    out.dims[i] = d;
    known *= d;
  }
  if (inferred >= 0) {
    if (known == 0 || in.numel() % known != 0) {
      return nodeError(ctx, Errc::kInvalidArgument, "cannot reshape {} to [{}]",
                       kernels::formatShape(in), fmt::join(spec, ", "));
    }
    out.dims[inferred] = in.numel() / known;
  }
  return out;
}


Result<void> OnnxImporter::importReshape(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(IntList spec, constantInts(ctx, 1, "shape"));
  if (!spec) return nodeError(ctx, Errc::kSchema, "the shape operand is missing");
  EDGERT_ASSIGN_OR_RETURN(std::int64_t allowZero, attrInt(ctx, "allowzero", 0));
  EDGERT_ASSIGN_OR_RETURN(
      Shape shape, reshapeTarget(ctx, typeOf(x).shape, *spec, ctx.opset >= 14 && allowZero != 0));
  return emitReshape(ctx, x, shape);
}


Result<void> OnnxImporter::importFlatten(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& in = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t axis, attrInt(ctx, "axis", 1));
  if (axis < 0) axis += in.rank;
  if (axis < 0 || axis > in.rank) {
    return nodeError(ctx, Errc::kInvalidArgument, "axis {} is out of range for rank {}", axis,
                     in.rank);
  }
  const int a = static_cast<int>(axis);
  return emitReshape(ctx, x, Shape::of({product(in, 0, a), product(in, a, in.rank)}));
}


// Squeeze/Unsqueeze axes: an attribute before opset 13, an input from 13.
Result<IntList> OnnxImporter::axesOperand(const NodeCtx& ctx) {
  if (ctx.opset < 13) return attrInts(ctx, "axes");
  return constantInts(ctx, 1, "axes");
}


Result<void> OnnxImporter::importSqueeze(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& in = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(IntList axes, axesOperand(ctx));
  bool drop[kernels::kMaxRank] = {};
  if (!axes) {
    for (int i = 0; i < in.rank; ++i) drop[i] = in.dims[i] == 1;
  }
  for (std::int64_t raw : axes.value_or(std::vector<std::int64_t>{})) {
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, in.rank, "axis"));
    if (in.dims[axis] != 1) {
      return nodeError(ctx, Errc::kInvalidArgument,
                       "cannot squeeze axis {} of size {} (input {})", axis, in.dims[axis],
                       kernels::formatShape(in));
    }
    drop[axis] = true;
  }
  Shape out;
  for (int i = 0; i < in.rank; ++i) {
    if (!drop[i]) out.dims[out.rank++] = in.dims[i];
  }
  return emitReshape(ctx, x, out);
}


Result<void> OnnxImporter::importUnsqueeze(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& in = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(IntList axes, axesOperand(ctx));
  if (!axes) return nodeError(ctx, Errc::kSchema, "axes are missing");
  const int outRank = in.rank + static_cast<int>(axes->size());
  if (outRank > kernels::kMaxRank) {
    return nodeError(ctx, Errc::kUnsupported, "output rank {} exceeds {}", outRank,
                     kernels::kMaxRank);
  }
  bool inserted[kernels::kMaxRank] = {};
  for (std::int64_t raw : *axes) {
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, raw, outRank, "axis"));
    if (inserted[axis])
      return nodeError(ctx, Errc::kInvalidArgument, "axis {} is given twice", axis);
    inserted[axis] = true;
  }
  Shape out;
  out.rank = outRank;
  int next = 0;
  for (int i = 0; i < outRank; ++i) out.dims[i] = inserted[i] ? 1 : in.dims[next++];
  return emitReshape(ctx, x, out);
}


Result<void> OnnxImporter::importTranspose(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const int rank = typeOf(x).shape.rank;
  EDGERT_ASSIGN_OR_RETURN(IntList perm, attrInts(ctx, "perm"));
  kernels::TransposeParams p;
  p.rank = rank;
  if (perm && static_cast<int>(perm->size()) != rank) {
    return nodeError(ctx, Errc::kSchema, "perm has {} entries for a rank-{} input", perm->size(),
                     rank);
  }
  for (int i = 0; i < rank; ++i) {
    const std::int64_t v = perm ? (*perm)[static_cast<std::size_t>(i)] : rank - 1 - i;
    if (v < 0 || v >= rank)
      return nodeError(ctx, Errc::kInvalidArgument, "perm entry {} is out of range", v);
    p.perm[i] = static_cast<std::int32_t>(v);
  }
  return emitResult(ctx, OpCode::kTranspose, p, {x});
}


Result<void> OnnxImporter::importPad(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const int rank = typeOf(x).shape.rank;
  EDGERT_ASSIGN_OR_RETURN(std::string mode, attrString(ctx, "mode", "constant"));
  kernels::PadParams p;
  if (mode == "edge") {
    p.mode = kernels::PadMode::kEdge;
  } else if (mode == "reflect") {
    p.mode = kernels::PadMode::kReflect;
  } else if (mode != "constant") {
    return nodeError(ctx, Errc::kUnsupported, "mode '{}' is not supported (constant, edge, reflect)", mode);
  }
  IntList pads;
  float fill = 0.0f;
  if (ctx.opset < 11) {
    EDGERT_ASSIGN_OR_RETURN(pads, attrInts(ctx, "pads"));
    EDGERT_ASSIGN_OR_RETURN(fill, attrFloat(ctx, "value", 0.0f));
  } else {
    EDGERT_ASSIGN_OR_RETURN(pads, constantInts(ctx, 1, "pads"));
    EDGERT_ASSIGN_OR_RETURN(fill, clipBound(ctx, 2, "constant_value", 0.0f));
  }
  if (!pads) return nodeError(ctx, Errc::kSchema, "pads are missing");
  if (static_cast<int>(pads->size()) != 2 * rank) {
    return nodeError(ctx, Errc::kSchema, "pads has {} values, expected {} for a rank-{} input",
                     pads->size(), 2 * rank, rank);
  }
  p.rank = static_cast<std::uint8_t>(rank);
  p.value = fill;
  for (int i = 0; i < rank; ++i) {
    p.padBegin[i] = (*pads)[static_cast<std::size_t>(i)];
    p.padEnd[i] = (*pads)[static_cast<std::size_t>(i + rank)];
  }
  return emitResult(ctx, OpCode::kPad, p, {x});
}


// One sliced axis, clamped as the ONNX spec says: negative starts/ends count from the end;
// then start is clamped to [0, dim] ([0, dim - 1] for negative steps) and end to [0, dim]
// ([-1, dim - 1]).
void OnnxImporter::sliceAxis(kernels::SliceParams& p, int axis, std::int64_t dim, std::int64_t start,
                      std::int64_t end, std::int64_t step) {
  p.step[axis] = step;
  p.start[axis] = 0;
  p.count[axis] = 0;
  if (dim == 0) return;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  std::int64_t count = 0;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
    count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<std::int64_t>(start, 0, dim - 1);
    end = std::clamp<std::int64_t>(end, -1, dim - 1);
    count = start > end ? (start - end - step - 1) / -step : 0;
  }
  if (count > 0) {
    p.start[axis] = start;
    p.count[axis] = count;
  }
}


Result<void> OnnxImporter::importSlice(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& in = typeOf(x).shape;
  IntList starts, ends, axes, steps;
  if (ctx.opset < 10) {
    EDGERT_ASSIGN_OR_RETURN(starts, attrInts(ctx, "starts"));
    EDGERT_ASSIGN_OR_RETURN(ends, attrInts(ctx, "ends"));
    EDGERT_ASSIGN_OR_RETURN(axes, attrInts(ctx, "axes"));
  } else {
    EDGERT_ASSIGN_OR_RETURN(starts, constantInts(ctx, 1, "starts"));
    EDGERT_ASSIGN_OR_RETURN(ends, constantInts(ctx, 2, "ends"));
    EDGERT_ASSIGN_OR_RETURN(axes, constantInts(ctx, 3, "axes"));
    EDGERT_ASSIGN_OR_RETURN(steps, constantInts(ctx, 4, "steps"));
  }
  if (!starts || !ends) return nodeError(ctx, Errc::kSchema, "starts and ends are required");
  const std::size_t n = starts->size();
  if (ends->size() != n || (axes && axes->size() != n) || (steps && steps->size() != n)) {
    return nodeError(ctx, Errc::kSchema, "starts, ends, axes and steps have different lengths");
  }
  kernels::SliceParams p;
  p.rank = in.rank;
  for (int i = 0; i < in.rank; ++i) {
    p.step[i] = 1;
    p.count[i] = in.dims[i];
  }
  bool seen[kernels::kMaxRank] = {};
  for (std::size_t k = 0; k < n; ++k) {
    const std::int64_t rawAxis = axes ? (*axes)[k] : static_cast<std::int64_t>(k);
    EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, in.rank, "axis"));
    if (seen[axis])
      return nodeError(ctx, Errc::kInvalidArgument, "axis {} is sliced twice", axis);
    seen[axis] = true;
    const std::int64_t step = steps ? (*steps)[k] : 1;
    if (step == 0) return nodeError(ctx, Errc::kInvalidArgument, "step 0 on axis {}", axis);
    sliceAxis(p, axis, in.dims[axis], (*starts)[k], (*ends)[k], step);
  }
  return emitResult(ctx, OpCode::kSlice, p, {x});
}



Result<kernels::ResizeMode> OnnxImporter::resizeMode(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::string mode, attrString(ctx, "mode", "nearest"));
  if (mode == "nearest") return kernels::ResizeMode::kNearest;
  if (mode == "linear" || mode == "bilinear") return kernels::ResizeMode::kLinear;
  if (mode == "cubic") return kernels::ResizeMode::kCubic;
  return nodeError(ctx, Errc::kSchema, "mode '{}' is not 'nearest', 'linear' or 'cubic'", mode);
}


// Output size floor(in * scale), computed in float like the reference implementations.
Result<void> OnnxImporter::applyScales(const NodeCtx& ctx, const Shape& in, const std::vector<float>& scales,
                         kernels::ResizeParams& p) {
  if (static_cast<int>(scales.size()) != in.rank) {
    return nodeError(ctx, Errc::kSchema, "{} scales for a rank-{} input", scales.size(), in.rank);
  }
  p.outputShape.rank = in.rank;
  for (int i = 0; i < in.rank; ++i) {
    const float s = scales[static_cast<std::size_t>(i)];
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return nodeError(ctx, Errc::kInvalidArgument, "scale {} on axis {} is not positive", s, i);
    }
    p.scale[i] = s;
    p.outputShape.dims[i] =
        static_cast<std::int64_t>(std::floor(static_cast<float>(in.dims[i]) * s));
  }
  return success();
}


Result<void> OnnxImporter::applySizes(const NodeCtx& ctx, const Shape& in,
                        const std::vector<std::int64_t>& sizes, kernels::ResizeParams& p) {
  if (static_cast<int>(sizes.size()) != in.rank) {
    return nodeError(ctx, Errc::kSchema, "{} sizes for a rank-{} input", sizes.size(), in.rank);
  }
  p.outputShape.rank = in.rank;
  for (int i = 0; i < in.rank; ++i) {
    const std::int64_t size = sizes[static_cast<std::size_t>(i)];
    if (size <= 0 || in.dims[i] <= 0) {
      return nodeError(ctx, Errc::kInvalidArgument, "cannot resize axis {} from {} to {}", i,
                       in.dims[i], size);
    }
    p.outputShape.dims[i] = size;
    p.scale[i] = static_cast<float>(size) / static_cast<float>(in.dims[i]);
  }
  return success();
}


// Resize-10 and Upsample: asymmetric coordinates; nearest picks floor when enlarging and
// ceil when shrinking (what ONNX's own tests and ONNX Runtime do for these versions).
Result<void> OnnxImporter::emitLegacyResize(const NodeCtx& ctx, ValueId x, const std::vector<float>& scales) {
  kernels::ResizeParams p;
  EDGERT_ASSIGN_OR_RETURN(p.mode, resizeMode(ctx));
  if (p.mode == kernels::ResizeMode::kCubic) {
    return nodeError(ctx, Errc::kUnsupported, "mode 'cubic' is not supported before opset 11");
  }
  p.transform = kernels::CoordinateTransform::kAsymmetric;
  EDGERT_TRY(applyScales(ctx, typeOf(x).shape, scales, p));
  const bool up = std::any_of(scales.begin(), scales.end(), [](float s) { return s > 1.0f; });
  const bool down = std::any_of(scales.begin(), scales.end(), [](float s) { return s < 1.0f; });
  if (p.mode == kernels::ResizeMode::kNearest && up && down) {
    return nodeError(ctx, Errc::kUnsupported,
                     "nearest resize that enlarges some axes and shrinks others is not "
                     "supported before opset 11");
  }
  p.rounding = down ? kernels::NearestRounding::kCeil : kernels::NearestRounding::kFloor;
  return emitResult(ctx, OpCode::kResize, p, {x});
}


Result<kernels::CoordinateTransform> OnnxImporter::coordinateTransform(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::string mode,
                          attrString(ctx, "coordinate_transformation_mode", "half_pixel"));
  if (mode == "half_pixel") return kernels::CoordinateTransform::kHalfPixel;
  if (mode == "asymmetric") return kernels::CoordinateTransform::kAsymmetric;
  if (mode == "align_corners") return kernels::CoordinateTransform::kAlignCorners;
  if (mode == "pytorch_half_pixel") return kernels::CoordinateTransform::kPytorchHalfPixel;
  if (mode == "tf_half_pixel_for_nearest" ||
      mode == "tf_half_pixel_for_nn") {  // ONNX Runtime's spelling
    return kernels::CoordinateTransform::kTfHalfPixelForNearest;
  }
  if (mode == "tf_crop_and_resize") {
    return nodeError(ctx, Errc::kUnsupported,
                     "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  }
  return nodeError(ctx, Errc::kSchema, "unknown coordinate_transformation_mode '{}'", mode);
}


Result<kernels::NearestRounding> OnnxImporter::nearestRounding(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::string mode,
                          attrString(ctx, "nearest_mode", "round_prefer_floor"));
  if (mode == "round_prefer_floor") return kernels::NearestRounding::kRoundPreferFloor;
  if (mode == "round_prefer_ceil") return kernels::NearestRounding::kRoundPreferCeil;
  if (mode == "floor") return kernels::NearestRounding::kFloor;
  if (mode == "ceil") return kernels::NearestRounding::kCeil;
  return nodeError(ctx, Errc::kSchema, "unknown nearest_mode '{}'", mode);
}


Result<void> OnnxImporter::importResize(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  if (ctx.opset < 11) {
    EDGERT_ASSIGN_OR_RETURN(FloatList scales, constantFloats(ctx, 1, "scales"));
    if (!scales) return nodeError(ctx, Errc::kSchema, "the scales operand is missing");
    return emitLegacyResize(ctx, x, *scales);
  }
  kernels::ResizeParams p;
  EDGERT_ASSIGN_OR_RETURN(p.mode, resizeMode(ctx));
  EDGERT_ASSIGN_OR_RETURN(p.transform, coordinateTransform(ctx));
  EDGERT_ASSIGN_OR_RETURN(p.rounding, nearestRounding(ctx));
  EDGERT_ASSIGN_OR_RETURN(p.cubicCoeffA, attrFloat(ctx, "cubic_coeff_a", -0.75f));
  EDGERT_ASSIGN_OR_RETURN(std::int64_t exclude, attrInt(ctx, "exclude_outside", 0));
  p.excludeOutside = exclude != 0 ? 1 : 0;
  // Input 1 (roi) only matters for tf_crop_and_resize, which is rejected above.
  EDGERT_ASSIGN_OR_RETURN(FloatList scales, constantFloats(ctx, 2, "scales"));
  EDGERT_ASSIGN_OR_RETURN(IntList sizes, constantInts(ctx, 3, "sizes"));
  const bool hasScales = scales && !scales->empty();
  const bool hasSizes = sizes && !sizes->empty();
  if (hasScales == hasSizes) {
    return nodeError(ctx, Errc::kSchema, "exactly one of scales and sizes must be given");
  }
  const Shape& in = typeOf(x).shape;
  EDGERT_TRY(hasScales ? applyScales(ctx, in, *scales, p) : applySizes(ctx, in, *sizes, p));
  return emitResult(ctx, OpCode::kResize, p, {x});
}


Result<void> OnnxImporter::importUpsample(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  FloatList scales;
  if (ctx.opset < 9) {
    EDGERT_ASSIGN_OR_RETURN(scales, attrFloats(ctx, "scales"));
  } else {
    EDGERT_ASSIGN_OR_RETURN(scales, constantFloats(ctx, 1, "scales"));
  }
  if (!scales) return nodeError(ctx, Errc::kSchema, "scales are missing");
  return emitLegacyResize(ctx, x, *scales);
}

// Split: sizes from the `split` attribute (before opset 13) or constant input 1, else equal
// parts, one per output (opsets up to 17 need the axis to divide evenly).
Result<void> OnnxImporter::importSplit(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& shape = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t rawAxis, attrInt(ctx, "axis", 0));
  EDGERT_ASSIGN_OR_RETURN(int axis, normalizeAxis(ctx, rawAxis, shape.rank, "axis"));
  const int count = ctx.proto.output_size();
  if (count < 1 || count > kernels::kMaxSplitOutputs) {
    return nodeError(ctx, Errc::kUnsupported, "{} outputs; edgert splits into 1 to {}", count,
                     kernels::kMaxSplitOutputs);
  }
  IntList sizes;
  if (ctx.opset >= 13) {
    EDGERT_ASSIGN_OR_RETURN(sizes, constantInts(ctx, 1, "split"));
  } else {
    EDGERT_ASSIGN_OR_RETURN(sizes, attrInts(ctx, "split"));
  }
  kernels::SplitParams p;
  p.axis = axis;
  p.count = count;
  const std::int64_t dim = shape.dims[axis];
  if (sizes) {
    if (static_cast<int>(sizes->size()) != count) {
      return nodeError(ctx, Errc::kInvalidArgument, "split has {} sizes for {} outputs", sizes->size(), count);
    }
    for (int i = 0; i < count; ++i) p.sizes[i] = (*sizes)[static_cast<std::size_t>(i)];
  } else {
    if (dim % count != 0) {
      return nodeError(ctx, Errc::kInvalidArgument, "axis {} of {} does not split into {} equal parts", axis,
                       kernels::formatShape(shape), count);
    }
    for (int i = 0; i < count; ++i) p.sizes[i] = dim / count;
  }
  return emitResults(ctx, OpCode::kSplit, p, {x});
}


// Expand: X broadcast with the constant shape operand; the result may be larger than the
// operand in either direction (numpy rules), as ONNX says.
Result<void> OnnxImporter::importExpand(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  EDGERT_ASSIGN_OR_RETURN(IntList dims, constantInts(ctx, 1, "shape"));
  if (!dims) return nodeError(ctx, Errc::kSchema, "the shape operand is missing");
  if (static_cast<int>(dims->size()) > kernels::kMaxRank) {
    return nodeError(ctx, Errc::kUnsupported, "rank {} exceeds {}", dims->size(), kernels::kMaxRank);
  }
  Shape operand;
  for (std::int64_t d : *dims) {
    if (d < 0) return nodeError(ctx, Errc::kInvalidArgument, "negative dimension {} in the shape operand", d);
    operand.dims[operand.rank++] = d;
  }
  EDGERT_ASSIGN_OR_RETURN(Shape shape, kernels::broadcastShapes(typeOf(x).shape, operand, ctx.label()));
  if (shape == typeOf(x).shape) return forward(ctx, x);
  kernels::ExpandParams p;
  p.shape = shape;
  return emitResult(ctx, OpCode::kExpand, p, {x});
}

// Tile as Reshape, Expand, Reshape: each repeated axis d gets a new axis of 1 in front of
// it, expanded to the repeat count, then the pairs merged: d0 x d1 tiled r0 x r1 is
// 1 x d0 x 1 x d1 -> r0 x d0 x r1 x d1 -> r0*d0 x r1*d1.
Result<void> OnnxImporter::importTile(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& in = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(IntList repeats, constantInts(ctx, 1, "repeats"));
  if (!repeats || static_cast<int>(repeats->size()) != in.rank) {
    return nodeError(ctx, Errc::kSchema, "repeats must hold one count per axis of {}", kernels::formatShape(in));
  }
  Shape split;     // with the new axes of 1
  Shape expanded;  // the new axes at their counts
  Shape out;
  out.rank = in.rank;
  for (int i = 0; i < in.rank; ++i) {
    const std::int64_t r = (*repeats)[static_cast<std::size_t>(i)];
    if (r < 0) return nodeError(ctx, Errc::kInvalidArgument, "repeat count {} for axis {} is negative", r, i);
    if (r != 1) {
      if (split.rank == kernels::kMaxRank) {
        return nodeError(ctx, Errc::kUnsupported, "tiling {} by [{}] needs more than {} dims", kernels::formatShape(in),
                         fmt::join(*repeats, ", "), kernels::kMaxRank);
      }
      split.dims[split.rank++] = 1;
      expanded.dims[expanded.rank++] = r;
    }
    if (split.rank == kernels::kMaxRank) {
      return nodeError(ctx, Errc::kUnsupported, "tiling {} by [{}] needs more than {} dims", kernels::formatShape(in),
                       fmt::join(*repeats, ", "), kernels::kMaxRank);
    }
    split.dims[split.rank++] = in.dims[i];
    expanded.dims[expanded.rank++] = in.dims[i];
    if (r != 0 && in.dims[i] > kernels::kMaxElements / r) {
      return nodeError(ctx, Errc::kInvalidArgument, "axis {} tiled {} times is too large", i, r);
    }
    out.dims[i] = in.dims[i] * r;
  }
  if (out == in) return forward(ctx, x);
  const std::string name = outputName(ctx);
  kernels::ReshapeParams toSplit;
  toSplit.shape = split;
  EDGERT_ASSIGN_OR_RETURN(ValueId a, emit(ctx, ctx.name + "/split", OpCode::kReshape, toSplit, {x},
                                          uniqueName(name + "/split")));
  kernels::ExpandParams expand;
  expand.shape = expanded;
  EDGERT_ASSIGN_OR_RETURN(ValueId b, emit(ctx, ctx.name + "/expand", OpCode::kExpand, expand, {a},
                                          uniqueName(name + "/expanded")));
  kernels::ReshapeParams merge;
  merge.shape = out;
  EDGERT_ASSIGN_OR_RETURN(ValueId y, emit(ctx, ctx.name + "/merge", OpCode::kReshape, merge, {b}, name));
  return bind(ctx, ctx.proto.output(0), y);
}

// Reshape to `split`, Transpose by `perm`, Reshape to `out`: DepthToSpace and SpaceToDepth.
Result<void> OnnxImporter::emitRearrange(const NodeCtx& ctx, ValueId x, const Shape& split,
                                         std::span<const std::int32_t> perm, const Shape& out) {
  const std::string name = outputName(ctx);
  kernels::ReshapeParams toSplit;
  toSplit.shape = split;
  EDGERT_ASSIGN_OR_RETURN(ValueId a, emit(ctx, ctx.name + "/split", OpCode::kReshape, toSplit, {x},
                                          uniqueName(name + "/split")));
  kernels::TransposeParams t;
  t.rank = split.rank;
  for (std::size_t i = 0; i < perm.size(); ++i) t.perm[i] = perm[i];
  EDGERT_ASSIGN_OR_RETURN(ValueId b, emit(ctx, ctx.name + "/transpose", OpCode::kTranspose, t, {a},
                                          uniqueName(name + "/transposed")));
  kernels::ReshapeParams merge;
  merge.shape = out;
  EDGERT_ASSIGN_OR_RETURN(ValueId y, emit(ctx, ctx.name + "/merge", OpCode::kReshape, merge, {b}, name));
  return bind(ctx, ctx.proto.output(0), y);
}

Result<std::int64_t> OnnxImporter::blockSize(const NodeCtx& ctx, const Shape& x) {
  if (x.rank != 4) {
    return nodeError(ctx, Errc::kInvalidArgument, "input {} is not N x C x H x W", kernels::formatShape(x));
  }
  EDGERT_ASSIGN_OR_RETURN(std::int64_t b, attrInt(ctx, "blocksize", 0));
  if (b < 1 || b > kInt32Max) return nodeError(ctx, Errc::kInvalidArgument, "blocksize {} must be positive", b);
  return b;
}

// DepthToSpace: C = b * b * C' moved into b x b blocks of the image. DCR (the default) takes
// the block index from the outer part of C, CRD from the inner part.
Result<void> OnnxImporter::importDepthToSpace(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& s = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t b, blockSize(ctx, s));
  EDGERT_ASSIGN_OR_RETURN(std::string mode, attrString(ctx, "mode", "DCR"));
  if (s.dims[1] % (b * b) != 0) {
    return nodeError(ctx, Errc::kInvalidArgument, "C = {} is not a multiple of blocksize^2 = {}", s.dims[1], b * b);
  }
  const std::int64_t n = s.dims[0], c = s.dims[1] / (b * b), h = s.dims[2], w = s.dims[3];
  const Shape out = Shape::of({n, c, h * b, w * b});
  if (mode == "DCR") {
    static constexpr std::int32_t kPerm[] = {0, 3, 4, 1, 5, 2};
    return emitRearrange(ctx, x, Shape::of({n, b, b, c, h, w}), kPerm, out);
  }
  if (mode == "CRD") {
    static constexpr std::int32_t kPerm[] = {0, 1, 4, 2, 5, 3};
    return emitRearrange(ctx, x, Shape::of({n, c, b, b, h, w}), kPerm, out);
  }
  return nodeError(ctx, Errc::kInvalidArgument, "mode '{}' is not DCR or CRD", mode);
}

// SpaceToDepth: each b x b block of the image moved into the channels.
Result<void> OnnxImporter::importSpaceToDepth(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(ValueId x, input(ctx, 0));
  const Shape& s = typeOf(x).shape;
  EDGERT_ASSIGN_OR_RETURN(std::int64_t b, blockSize(ctx, s));
  if (s.dims[2] % b != 0 || s.dims[3] % b != 0) {
    return nodeError(ctx, Errc::kInvalidArgument, "H x W = {} x {} is not a multiple of blocksize {}", s.dims[2],
                     s.dims[3], b);
  }
  const std::int64_t n = s.dims[0], c = s.dims[1], h = s.dims[2] / b, w = s.dims[3] / b;
  static constexpr std::int32_t kPerm[] = {0, 3, 5, 1, 2, 4};
  return emitRearrange(ctx, x, Shape::of({n, c, h, b, w, b}), kPerm, Shape::of({n, c * b * b, h, w}));
}

}  // namespace edgert::compiler::onnx_import
