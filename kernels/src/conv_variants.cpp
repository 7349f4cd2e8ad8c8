#include "conv_variants.hpp"

#include "edgert/kernels/activation.hpp"

#if defined(__aarch64__)
#include <arm_neon.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>

namespace edgert::kernels::conv {
namespace {

bool isFloat(const TensorType& t) { return t.dtype == DType::kFloat32; }

// Most runs of padding that fillColumns zeroes are empty or a float or two: no call then.
void zero(float* dst, std::int64_t count) {
  if (count > 2) {
    std::memset(dst, 0, static_cast<std::size_t>(count) * sizeof(float));
    return;
  }
  for (std::int64_t i = 0; i < count; ++i) dst[i] = 0.0f;
}

// out[i] = src[2 * i] for i in [0, n): the even elements, as a stride-2 conv reads a row.
// It reads src[0 .. 2n - 2] only (the vector loop stops before a load would pass it).
void copyEvens(const float* src, std::int64_t n, float* out) {
  std::int64_t i = 0;
#if defined(__aarch64__)
  for (; i + 5 <= n; i += 4) vst1q_f32(out + i, vld2q_f32(src + 2 * i).val[0]);
#elif defined(__SSE2__)
  for (; i + 5 <= n; i += 4) {
    const __m128 a = _mm_loadu_ps(src + 2 * i);
    const __m128 b = _mm_loadu_ps(src + 2 * i + 4);
    _mm_storeu_ps(out + i, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  }
#endif
  for (; i < n; ++i) out[i] = src[2 * i];
}

}  // namespace

WorkSplit splitWork(std::int64_t tasks, std::int64_t outer, std::int64_t strips, std::int64_t rows,
                    std::int64_t tileRows, std::int64_t maxRowBlock) {
  WorkSplit s;
  s.rowBlock = maxRowBlock;
  s.rowBlocks = ceilDiv(rows, maxRowBlock);
  const std::int64_t base = outer * s.rowBlocks;
  if (tasks > base) {
    s.stripChunks = std::min(strips, ceilDiv(tasks, base));
    if (base * s.stripChunks < tasks) {
      // Too few strips: smaller blocks of output channels, whole register tiles each.
      const std::int64_t rowTiles = ceilDiv(rows, tileRows);
      const std::int64_t want = std::min(rowTiles, ceilDiv(tasks, outer * s.stripChunks));
      s.rowBlock = std::min(maxRowBlock, ceilDiv(rowTiles, want) * tileRows);
      s.rowBlocks = ceilDiv(rows, s.rowBlock);
    }
  }
  s.tasks = outer * s.rowBlocks * s.stripChunks;
  return s;
}

bool generalApplies(const void* params, std::span<const TensorType> inputs,
                    std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  const std::int64_t outPerGroup = inputs[1].shape.dims[0] / p.group;
  return p.weightLayout == 0 && (p.group == 1 || outPerGroup >= kGeneralMinGroupOutputs);
}

bool pointwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  return p.weightLayout == 0 && p.group == 1 && p.kernel[0] == 1 && p.kernel[1] == 1 &&
         p.stride[0] == 1 && p.stride[1] == 1 && p.padBegin[0] == 0 && p.padBegin[1] == 0 &&
         p.padEnd[0] == 0 && p.padEnd[1] == 0;
}

bool matmulApplies(const void*, std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  // Matrices on both sides (numpy's 1-D forms stay on the reference kernel).
  return inputs.size() == 2 && outputs.size() == 1 && isFloat(inputs[0]) && isFloat(inputs[1]) &&
         isFloat(outputs[0]) && inputs[0].shape.rank >= 2 && inputs[1].shape.rank >= 2;
}

bool depthwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  if (p.spatialRank != 2 || x.rank != 4 || w.rank != 4 || p.weightLayout != 0) return false;
  const bool squareKernel = p.kernel[0] == p.kernel[1] && (p.kernel[0] == 3 || p.kernel[0] == 5);
  const bool strides = (p.stride[0] == 1 || p.stride[0] == 2) && (p.stride[1] == 1 || p.stride[1] == 2);
  return squareKernel && strides && p.dilation[0] == 1 && p.dilation[1] == 1 &&
         x.dims[1] == p.group && w.dims[0] == p.group && w.dims[1] == 1;
}

bool directApplies(const void* params, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  const Shape& x = inputs[0].shape;
  if (p.spatialRank != 2 || x.rank != 4 || p.weightLayout != 0 || p.group != 1) return false;
  const bool strides = (p.stride[0] == 1 || p.stride[0] == 2) && (p.stride[1] == 1 || p.stride[1] == 2);
  if (!strides || p.dilation[0] != 1 || p.dilation[1] != 1 || x.dims[1] < 1) return false;
  const bool few = x.dims[1] <= kDirectMaxChannels && p.kernel[0] >= 1 && p.kernel[0] <= kDirectMaxKernel &&
                   p.kernel[1] >= 1 && p.kernel[1] <= kDirectMaxKernel;
  const bool wide = x.dims[1] <= kDirectMaxWideChannels && p.kernel[0] == 3 && p.kernel[1] == 3;
  return few || wide;
}

std::uint64_t directScratch(const void* params, std::span<const TensorType> inputs,
                            std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  // Few channels: the kernel packs on its stack, as before images recorded scratch for this
  // variant (an image from then plans none, and must still load).
  if (outputs[0].shape.numel() == 0 || inputs[0].shape.dims[1] <= kDirectMaxChannels) return 0;
  return static_cast<std::uint64_t>(kDirectTileRows * inputs[0].shape.dims[1] * p.kernel[0] * p.kernel[1]) *
         sizeof(float);
}

bool depthwisePointwiseApplies(const void* params, std::span<const TensorType> inputs,
                               std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const DepthwisePointwiseParams*>(params);
  if (inputs.size() < 3 || outputs.size() != 1 || inputs[0].shape.rank != 4 || outputs[0].shape.rank != 4 ||
      outputs[0].shape.numel() == 0) {
    return false;  // (no image: C x outW alone could overflow below)
  }
  // The intermediate's type: X's channels at Y's size.
  TensorType t = outputs[0];
  t.shape.dims[1] = inputs[0].shape.dims[1];
  const TensorType depthwiseIn[] = {inputs[0], inputs[1]};
  const TensorType pointwiseIn[] = {t, inputs[2]};
  // Chunks of at least 4 rows (kDepthwisePointwiseMinChunkRows): narrower ones left the
  // pointwise part a few pixels per pass with its weights reloaded for each.
  if (inputs[0].shape.dims[1] * outputs[0].shape.dims[3] * kDepthwisePointwiseMinChunkRows >
      kDepthwisePointwiseChunkFloats) {
    return false;
  }
  return depthwiseApplies(&p.depthwise, depthwiseIn, std::span<const TensorType>(&t, 1)) &&
         pointwiseApplies(&p.pointwise, pointwiseIn, outputs);
}

DepthwisePointwisePlan depthwisePointwisePlan(const DepthwisePointwiseParams& p, const Shape& x, const Shape& y,
                                              std::int64_t block) {
  DepthwisePointwisePlan plan;
  const std::int64_t channels = x.dims[1], outH = y.dims[2], outW = y.dims[3];
  const std::int64_t rowFloats = std::max<std::int64_t>(channels * outW, 1);
  plan.chunkRows = std::clamp<std::int64_t>(kDepthwisePointwiseChunkFloats / rowFloats, 1, std::max<std::int64_t>(outH, 1));
  // The AVX-512 depthwise computes 8 output rows per pass, then 4, 2 and 1: chunks of whole
  // 4-row passes at least.
  if (plan.chunkRows >= 4 && plan.chunkRows < outH) plan.chunkRows = plan.chunkRows / 4 * 4;
  // Channels of T 64-byte aligned, and one cache line apart from a 4 KiB multiple, so that
  // the pointwise tile's loads of C channels do not all fall in one L1 set.
  plan.tStride = (plan.chunkRows * outW + 15) / 16 * 16 + 16;
  plan.planeOffset = channels * plan.tStride * static_cast<std::int64_t>(sizeof(float));
  plan.scratchBytes = plan.planeOffset;
  if (block > 0) {
    const DepthwisePlane g = depthwisePlane(p.depthwise, x, y, block);
    const std::int64_t rows = (plan.chunkRows - 1) * p.depthwise.stride[0] + p.depthwise.kernel[0];
    plan.scratchBytes += rows * g.rowFloats * static_cast<std::int64_t>(sizeof(float));
  }
  return plan;
}

DepthwisePlane depthwisePlane(const ConvParams& p, const Shape& /*x*/, const Shape& y, std::int64_t block) {
  DepthwisePlane g;
  const std::int64_t outH = y.dims[2];
  const std::int64_t outW = y.dims[3];
  const std::int64_t k = p.kernel[1];
  g.outCols = (outW + block - 1) / block * block;
  g.rows = (outH - 1) * p.stride[0] + p.kernel[0];
  if (p.stride[1] == 1) {
    g.rowFloats = g.outCols + k - 1;
  } else {
    g.phase = g.outCols + (k - 1) / 2;
    g.rowFloats = 2 * g.phase;
  }
  return g;
}

std::uint64_t depthwiseScratch(std::int64_t block, const void* params, std::span<const TensorType> inputs,
                               std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  // No image or no channel: the kernel copies no plane (and the plane's size, bounded by
  // Y's element count otherwise, could be anything).
  if (outputs[0].shape.numel() == 0) return 0;
  const DepthwisePlane g = depthwisePlane(p, inputs[0].shape, outputs[0].shape, block);
  return static_cast<std::uint64_t>(g.rows) * static_cast<std::uint64_t>(g.rowFloats) * sizeof(float);
}

void fillDepthwisePlane(const ConvParams& p, const DepthwisePlane& g, const float* x, std::int64_t inH,
                        std::int64_t inW, float* plane, std::int64_t firstRow, std::int64_t rows) {
  const std::int64_t padTop = p.padBegin[0];
  const std::int64_t padLeft = p.padBegin[1];
  for (std::int64_t r = 0; r < rows; ++r) {
    float* dst = plane + r * g.rowFloats;
    const std::int64_t ih = firstRow + r - padTop;
    if (ih < 0 || ih >= inH) {
      std::memset(dst, 0, static_cast<std::size_t>(g.rowFloats) * sizeof(float));
      continue;
    }
    const float* src = x + ih * inW;
    if (g.phase == 0) {
      // Padded column c holds input column c - padLeft: [0, begin) and [end, rowFloats)
      // are padding.
      const std::int64_t begin = std::min(padLeft, g.rowFloats);
      const std::int64_t end = std::min(padLeft + inW, g.rowFloats);
      std::memset(dst, 0, static_cast<std::size_t>(begin) * sizeof(float));
      if (end > begin) std::memcpy(dst + begin, src, static_cast<std::size_t>(end - begin) * sizeof(float));
      std::memset(dst + end, 0, static_cast<std::size_t>(g.rowFloats - end) * sizeof(float));
      continue;
    }
    // Two phases: dst[q * phase + j] holds padded column 2 * j + q, input column
    // 2 * j + q - padLeft: inside the row for j in [begin, end).
    for (std::int64_t q = 0; q < 2; ++q) {
      float* out = dst + q * g.phase;
      const std::int64_t first = padLeft - q;  // 2 * j >= first
      const std::int64_t begin = std::min(g.phase, first <= 0 ? 0 : (first + 1) / 2);
      const std::int64_t end = std::max(begin, std::min(g.phase, ceilDiv(inW + padLeft - q, 2)));
      for (std::int64_t j = 0; j < begin; ++j) out[j] = 0.0f;
      copyEvens(src + 2 * begin + q - padLeft, end - begin, out + begin);
      for (std::int64_t j = end; j < g.phase; ++j) out[j] = 0.0f;
    }
  }
}

GemmPlan gemmPlan(const GemmBlocking& b, const ConvParams& p, const Shape& x, const Shape& y) {
  GemmPlan g;
  if (p.spatialRank == 2) {
    g.inH = x.dims[2];
    g.outH = y.dims[2];
  }
  g.inW = x.dims[x.rank - 1];
  g.outW = y.dims[y.rank - 1];
  g.inPerGroup = x.dims[1] / p.group;
  g.outPerGroup = y.dims[1] / p.group;
  g.depth = g.inPerGroup * p.kernel[0] * p.kernel[1];
  g.pixels = g.outH * g.outW;
  g.blockDepth = g.depth == 0 ? 0 : ceilDiv(g.depth, ceilDiv(g.depth, b.depth));
  g.stripPixels = std::min(b.strip, ceilDiv(g.pixels, b.cols) * b.cols);
  g.panelRows = std::min(b.panelRows, ceilDiv(g.outPerGroup, b.rows) * b.rows);
  return g;
}

std::uint64_t generalScratch(const GemmBlocking& b, const void* params,
                             std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if (outputs[0].shape.numel() == 0) return 0;  // no image or no output channel: nothing to fill
  const GemmPlan g = gemmPlan(b, p, inputs[0].shape, outputs[0].shape);
  return static_cast<std::uint64_t>(g.blockDepth * (g.stripPixels + g.panelRows)) * sizeof(float);
}

namespace {

// The packed weights' extent: groups x row tiles x K x rows floats.
struct GeneralPacking {
  std::int64_t groups = 0, outPerGroup = 0, rowTiles = 0, depth = 0;
};

GeneralPacking generalPacking(const GemmBlocking& b, const ConvParams& p, const Shape& w) {
  GeneralPacking k;
  k.groups = p.group;
  k.outPerGroup = w.dims[0] / p.group;
  k.rowTiles = ceilDiv(k.outPerGroup, b.rows);
  k.depth = 1;
  for (int d = 1; d < w.rank; ++d) k.depth *= w.dims[d];
  return k;
}

}  // namespace

std::uint64_t generalState(const GemmBlocking& b, const void* params, std::span<const TensorType> inputs,
                           std::span<const TensorType> outputs, std::uint32_t constantInputs) {
  const auto& p = *static_cast<const ConvParams*>(params);
  if ((constantInputs & 2u) == 0 || outputs[0].shape.numel() == 0) return 0;
  const GeneralPacking k = generalPacking(b, p, inputs[1].shape);
  // Bounded by the weights' own size (validated) rounded up to whole tiles.
  return static_cast<std::uint64_t>(k.groups * k.rowTiles * k.depth * b.rows) * sizeof(float);
}

void generalPrepare(const GemmBlocking& b, const PrepareArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const GeneralPacking k = generalPacking(b, p, args.inputs[1].type.shape);
  const float* w = args.inputs[1].as<float>();
  auto* packed = reinterpret_cast<float*>(args.state.data());
  for (std::int64_t grp = 0; grp < k.groups; ++grp) {
    for (std::int64_t t = 0; t < k.rowTiles; ++t) {
      const std::int64_t m = t * b.rows;
      fillWeightTile(w + (grp * k.outPerGroup + m) * k.depth, k.depth, 1, std::min(b.rows, k.outPerGroup - m),
                     k.depth, b.rows, packed + (grp * k.rowTiles + t) * k.depth * b.rows);
    }
  }
}

void fillColumns(const ConvParams& p, const GemmPlan& g, const float* x, std::int64_t k0,
                 std::int64_t kc, std::int64_t p0, std::int64_t count, std::int64_t width,
                 float* columns) {
  const std::int64_t kH = p.kernel[0];
  const std::int64_t kW = p.kernel[1];
  const std::int64_t strideW = p.stride[1];
  for (std::int64_t s = 0; s < kc; ++s) {
    const std::int64_t k = k0 + s;
    const std::int64_t kh = k / kW % kH;
    const std::int64_t kw = k % kW;
    const float* plane = x + k / (kH * kW) * g.inH * g.inW;
    float* dst = columns + s * g.stripPixels;
    // This tap reads input column ow * strideW + offW for output column ow: inside X for
    // ow in [owBegin, owEnd).
    const std::int64_t offW = kw * p.dilation[1] - p.padBegin[1];
    const std::int64_t owBegin = std::min(g.outW, offW >= 0 ? 0 : ceilDiv(-offW, strideW));
    const std::int64_t owEnd = offW >= g.inW ? 0 : std::min(g.outW, ceilDiv(g.inW - offW, strideW));
    std::int64_t oh = p0 / g.outW;
    std::int64_t ow = p0 % g.outW;
    // The strip, one output row at a time.
    for (std::int64_t j = 0; j < count; ow = 0, ++oh) {
      const std::int64_t n = std::min(count - j, g.outW - ow);
      const std::int64_t ih = oh * p.stride[0] + kh * p.dilation[0] - p.padBegin[0];
      if (ih < 0 || ih >= g.inH) {
        zero(dst + j, n);
        j += n;
        continue;
      }
      const std::int64_t begin = std::clamp(owBegin, ow, ow + n);
      const std::int64_t end = std::clamp(owEnd, begin, ow + n);
      zero(dst + j, begin - ow);
      if (end > begin) {
        const float* src = plane + ih * g.inW + begin * strideW + offW;  // at input column >= 0
        float* out = dst + j + (begin - ow);
        if (strideW == 1) {
          std::memcpy(out, src, static_cast<std::size_t>(end - begin) * sizeof(float));
        } else if (strideW == 2) {
          copyEvens(src, end - begin, out);
        } else {
          for (std::int64_t c = 0; c < end - begin; ++c) out[c] = src[c * strideW];
        }
      }
      zero(dst + j + (end - ow), ow + n - end);
      j += n;
    }
    zero(dst + count, width - count);
  }
}

void fillWeightTile(const float* w, std::int64_t rowStride, std::int64_t stepStride,
                    std::int64_t rows, std::int64_t kc, std::int64_t tileRows, float* panel) {
  for (std::int64_t s = 0; s < kc; ++s) {
    float* dst = panel + s * tileRows;
    for (std::int64_t r = 0; r < rows; ++r) dst[r] = w[r * rowStride + s * stepStride];
    for (std::int64_t r = rows; r < tileRows; ++r) dst[r] = 0.0f;
  }
}

bool upsampleApplies(const void* params, std::span<const TensorType> inputs,
                     std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvTransposeParams*>(params);
  if (inputs.size() < 2 || outputs.size() != 1 || !isFloat(inputs[0]) || !isFloat(outputs[0])) {
    return false;
  }
  return p.group == 1 && p.kernel[0] == p.stride[0] && p.kernel[1] == p.stride[1] &&
         p.dilation[0] == 1 && p.dilation[1] == 1;
}

UpsamplePlan upsamplePlan(const GemmBlocking& b, const ConvTransposeParams& p, const Shape& x,
                          const Shape& y) {
  UpsamplePlan g;
  if (p.spatialRank == 2) {
    g.inH = x.dims[2];
    g.outH = y.dims[2];
  }
  g.inW = x.dims[x.rank - 1];
  g.outW = y.dims[y.rank - 1];
  g.pixels = g.inH * g.inW;
  const std::int64_t channels = x.dims[1];
  g.blockDepth = channels == 0 ? 0 : ceilDiv(channels, ceilDiv(channels, b.depth));
  // Strips 4x the GEMM's: the weight panels are refilled once per strip, and with few
  // input channels (K) each fill would otherwise cost nearly as much as the products.
  g.stripPixels = std::min(4 * b.strip, ceilDiv(g.pixels, b.cols) * b.cols);
  return g;
}

std::uint64_t upsampleScratch(const GemmBlocking& b, const void* params,
                              std::span<const TensorType> inputs, std::span<const TensorType> outputs) {
  const auto& p = *static_cast<const ConvTransposeParams*>(params);
  if (outputs[0].shape.numel() == 0) return 0;  // no image or no output channel: nothing to fill
  const UpsamplePlan g = upsamplePlan(b, p, inputs[0].shape, outputs[0].shape);
  const std::int64_t gemmRows = outputs[0].shape.dims[1] * p.kernel[0] * p.kernel[1];
  const std::int64_t floats = g.blockDepth * (b.cols + b.rows) + b.rows * g.stripPixels + gemmRows;
  return static_cast<std::uint64_t>(floats) * sizeof(float);
}

void fillPlaneColumns(const float* x, std::int64_t plane, std::int64_t kc, std::int64_t p0,
                      std::int64_t count, std::int64_t width, std::int64_t stripPixels, float* columns) {
  for (std::int64_t c = 0; c < kc; ++c) {
    float* dst = columns + c * stripPixels;
    std::memcpy(dst, x + c * plane + p0, static_cast<std::size_t>(count) * sizeof(float));
    zero(dst + count, width - count);
  }
}

void fillUncovered(const ConvTransposeParams& p, const UpsamplePlan& g, std::int64_t outChannels,
                   const float* bias, float* y) {
  // Output row oh is reached iff oh + padTop < inH * sH, column ow iff ow + padLeft < inW * sW.
  const std::int64_t rows = std::clamp<std::int64_t>(g.inH * p.stride[0] - p.padBegin[0], 0, g.outH);
  const std::int64_t cols = std::clamp<std::int64_t>(g.inW * p.stride[1] - p.padBegin[1], 0, g.outW);
  if (rows == g.outH && cols == g.outW) return;
  for (std::int64_t m = 0; m < outChannels; ++m) {
    float* plane = y + m * g.outH * g.outW;
    const float value = applyActivation(p.activation, bias ? bias[m] : 0.0f);
    for (std::int64_t oh = 0; oh < g.outH; ++oh) {
      float* row = plane + oh * g.outW;
      std::fill(row + (oh < rows ? cols : 0), row + g.outW, value);
    }
  }
}

namespace {

// Tap (kh, kw) of one output channel: out (the tile row of input pixels [p0, p0 + count))
// into y (the channel's plane).
void scatterTap(const ConvTransposeParams& p, const UpsamplePlan& g, const float* out, std::int64_t p0,
                std::int64_t count, std::int64_t kh, std::int64_t kw, float* y, bool accumulate, bool activate) {
  const std::int64_t strideW = p.stride[1];
  // Input column iw lands on output column iw * strideW + offW: inside Y for iw in
  // [iwBegin, iwEnd).
  const std::int64_t offW = kw - p.padBegin[1];
  const std::int64_t iwBegin = std::min(g.inW, offW >= 0 ? 0 : ceilDiv(-offW, strideW));
  const std::int64_t iwEnd = offW >= g.outW ? 0 : std::min(g.inW, ceilDiv(g.outW - offW, strideW));
  std::int64_t ih = p0 / g.inW;
  std::int64_t iw = p0 % g.inW;
  // The strip, one input row at a time.
  for (std::int64_t j = 0; j < count; iw = 0, ++ih) {
    const std::int64_t n = std::min(count - j, g.inW - iw);
    const std::int64_t oh = ih * p.stride[0] + kh - p.padBegin[0];
    const std::int64_t begin = std::clamp(iwBegin, iw, iw + n);
    const std::int64_t end = std::clamp(iwEnd, begin, iw + n);
    if (oh >= 0 && oh < g.outH && end > begin) {
      const float* src = out + j + (begin - iw);
      float* dst = y + oh * g.outW + begin * strideW + offW;  // at column >= 0
      if (activate) {
        for (std::int64_t i = 0; i < end - begin; ++i) {
          dst[i * strideW] = applyActivation(p.activation, dst[i * strideW] + src[i]);
        }
      } else if (accumulate) {
        for (std::int64_t i = 0; i < end - begin; ++i) dst[i * strideW] += src[i];
      } else {
        for (std::int64_t i = 0; i < end - begin; ++i) dst[i * strideW] = src[i];
      }
    }
    j += n;
  }
}

// Taps (kh, 0) and (kh, 1) of a kernel 2 wide with stride 2, no left padding and every
// column inside Y (outW >= 2 * inW): they interleave into whole output row segments,
// stored (not accumulated) two floats per input pixel.
void scatterPair(const ConvTransposeParams& p, const UpsamplePlan& g, const float* left, const float* right,
                 std::int64_t p0, std::int64_t count, std::int64_t kh, float* y) {
  std::int64_t ih = p0 / g.inW;
  std::int64_t iw = p0 % g.inW;
  for (std::int64_t j = 0; j < count; iw = 0, ++ih) {
    const std::int64_t n = std::min(count - j, g.inW - iw);
    const std::int64_t oh = ih * p.stride[0] + kh - p.padBegin[0];
    if (oh >= 0 && oh < g.outH) {
      float* dst = y + oh * g.outW + 2 * iw;
      const float* a = left + j;
      const float* b = right + j;
      std::int64_t i = 0;
#if defined(__aarch64__)
      for (; i + 4 <= n; i += 4) vst2q_f32(dst + 2 * i, float32x4x2_t{{vld1q_f32(a + i), vld1q_f32(b + i)}});
#elif defined(__SSE2__)
      for (; i + 4 <= n; i += 4) {
        const __m128 va = _mm_loadu_ps(a + i);
        const __m128 vb = _mm_loadu_ps(b + i);
        _mm_storeu_ps(dst + 2 * i, _mm_unpacklo_ps(va, vb));
        _mm_storeu_ps(dst + 2 * i + 4, _mm_unpackhi_ps(va, vb));
      }
#endif
      for (; i < n; ++i) {
        dst[2 * i] = a[i];
        dst[2 * i + 1] = b[i];
      }
    }
    j += n;
  }
}

}  // namespace

void scatterRows(const ConvTransposeParams& p, const UpsamplePlan& g, const float* out, std::int64_t q,
                 std::int64_t rows, std::int64_t p0, std::int64_t count, float* y, bool accumulate,
                 bool activate) {
  const std::int64_t kW = p.kernel[1];
  const std::int64_t taps = std::int64_t{p.kernel[0]} * kW;
  const std::int64_t outPlane = g.outH * g.outW;
  const bool pairs = kW == 2 && p.stride[1] == 2 && p.padBegin[1] == 0 && g.outW >= 2 * g.inW &&
                     !accumulate && !activate;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t m = (q + r) / taps;
    const std::int64_t tap = (q + r) % taps;
    const float* row = out + r * g.stripPixels;
    if (pairs && tap % 2 == 0 && r + 1 < rows) {
      scatterPair(p, g, row, row + g.stripPixels, p0, count, tap / kW, y + m * outPlane);
      ++r;
      continue;
    }
    scatterTap(p, g, row, p0, count, tap / kW, tap % kW, y + m * outPlane, accumulate, activate);
  }
}

}  // namespace edgert::kernels::conv
