// The fast Conv variants: where each applies (portable: the compiler on an x86-64 host
// chooses NEON variants for an aarch64 image), the drivers and scratch layouts both ISAs
// share, and the kernels themselves, built only for their own architecture.
//
//   general:   1-D or 2-D, any kernel, stride, dilation and pads; group 1, or groups of
//              at least kGeneralMinGroupOutputs output channels each.
//   pointwise: 1x1 kernel, stride 1, no pads, group 1 (any dilation: it has no effect).
//   depthwise: 2-D, group == C == OC, kernel 3x3 or 5x5, strides 1 or 2 per axis,
//              dilation 1, any pads.
// All: NCHW input, OIHW weights (weightLayout 0), float32 accumulation, the fused
// epilogue Y = act(conv + bias + residual), Y allowed to lie exactly on the residual.
// Where several apply the compiler takes the most specialized (the registry lists general
// first).
#pragma once

#include "edgert/kernels/parallel.hpp"
#include "edgert/kernels/registry.hpp"

#include <algorithm>
#include <cstdint>

namespace edgert::kernels::conv {

// --- Splitting a conv over the worker pool ---------------------------------------------------
//
// Every variant cuts its output into tasks that write disjoint parts of Y and compute each
// output element exactly as the single-threaded run does (same register tile, same order
// of the sums): results are bit-identical whatever the thread count. A task is a range of
// pixel strips and a block of output channels of one image (and group); strips are split
// first (the weights stay shared, each task packs only its own columns), output channels
// only when there are too few strips (the deep, small layers at the end of a network).
// Tasks are numbered by image (and group), then range of strips, then block of output
// channels: consecutive tasks cover the same pixels, so the pool's worker w, which owns
// the w-th share of the task numbers, writes the w-th part of the image in every op
// (parallel.hpp) and reads in the next mostly what it wrote (the depthwise driver numbers
// its bands of rows the same way).
struct WorkSplit {
  std::int64_t stripChunks = 1;  // the strips of one image split into this many ranges
  std::int64_t rowBlock = 0;     // output channels per task, a multiple of the tile's rows
  std::int64_t rowBlocks = 1;    // blocks of rowBlock output channels
  std::int64_t tasks = 1;        // outer x rowBlocks x stripChunks
};

// `tasks`: how many the work should become (taskCount); `outer`: independent (image,
// group) pairs; `strips` per pair; `rows` output channels per pair; tileRows: the register
// tile's rows; maxRowBlock: the most output channels one task may take (a multiple of
// tileRows; the scratch is sized for it).
WorkSplit splitWork(std::int64_t tasks, std::int64_t outer, std::int64_t strips, std::int64_t rows,
                    std::int64_t tileRows, std::int64_t maxRowBlock);

// a / b rounded up, for a >= 0 and b > 0.
inline std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The range [first, last) of `count` items that part `index` of `parts` takes.
inline std::int64_t partBegin(std::int64_t count, std::int64_t parts, std::int64_t index) {
  return count * index / parts;
}

// --- Pointwise: Y (OC x P) = W (OC x C) * X (C x P) per image, X read in place ------------
//
// One image of a pointwise conv as the ISA kernels see it.
struct PointwiseImage {
  const float* x;         // this image: C x P
  const float* w;         // OC x C
  const float* bias;      // nullptr: none
  const float* residual;  // this image: OC x P, or nullptr
  float* y;               // this image: OC x P
  std::int64_t channels;
  std::int64_t pixels;    // P, the product's columns
  std::int64_t xStride;   // floats from one row of X (input channel) to the next: P, or
                          // more where X is a band of a larger plane
  std::int64_t yStride;   // the same for Y and the residual
  ActivationParams act;
};

// The product driver the ISAs share: `batch` independent products Y_n (M x P) = W_n (M x C)
// * X_n (C x P), image(n) giving product n's PointwiseImage (pointers, bias, residual,
// epilogue). Tasks are a range of strips of kStrip pixels and a block of rows (whole tiles
// of kRows) of one product; run(image, m0, m1, p0, p1) computes rows [m0, m1) at pixels
// [p0, p1) (p1 == P for the last strip).
template <std::int64_t kRows, std::int64_t kStrip, typename Image, typename Run>
void forEachGemmTask(WorkerPool* pool, std::int64_t batch, std::int64_t rows, std::int64_t channels,
                     std::int64_t pixels, Image image, Run run) {
  if (batch == 0 || rows == 0 || pixels == 0) return;
  const std::int64_t strips = (pixels + kStrip - 1) / kStrip;
  const std::int64_t rowTiles = (rows + kRows - 1) / kRows;
  const WorkSplit split =
      splitWork(taskCount(pool, batch * rows * pixels * std::max<std::int64_t>(channels, 1),
                          batch * strips * rowTiles),
                batch, strips, rows, kRows, rowTiles * kRows);
  auto task = [&](std::int64_t t, int /*worker*/) {
    const std::int64_t m0 = t % split.rowBlocks * split.rowBlock;
    const std::int64_t chunk = t / split.rowBlocks % split.stripChunks;
    const std::int64_t n = t / split.rowBlocks / split.stripChunks;
    const PointwiseImage k = image(n);
    run(k, m0, std::min(rows, m0 + split.rowBlock), partBegin(strips, split.stripChunks, chunk) * kStrip,
        std::min(pixels, partBegin(strips, split.stripChunks, chunk + 1) * kStrip));
  };
  parallelFor(pool, split.tasks, task);
}

// A pointwise conv as products: one per image, W the weights (OC x C), X the image.
template <std::int64_t kRows, std::int64_t kStrip, typename Run>
void forEachPointwiseTask(const KernelArgs& args, Run run) {
  const auto& params = *static_cast<const ConvParams*>(args.params);
  const InTensor& xt = args.inputs[0];
  const OutTensor& yt = args.outputs[0];
  if (yt.type.shape.numel() == 0) return;  // no image, output channel or pixel
  const std::int64_t batch = xt.type.shape.dims[0];
  const std::int64_t channels = xt.type.shape.dims[1];
  const std::int64_t outChannels = yt.type.shape.dims[1];
  std::int64_t pixels = 1;  // the spatial dims (X and Y have the same)
  for (int i = 2; i < xt.type.shape.rank; ++i) pixels *= xt.type.shape.dims[i];
  const float* residual = params.hasResidual ? args.inputs[3].as<float>() : nullptr;
  PointwiseImage base{};
  base.w = args.inputs[1].as<float>();
  base.bias = params.hasBias ? args.inputs[2].as<float>() : nullptr;
  base.channels = channels;
  base.pixels = pixels;
  base.xStride = pixels;
  base.yStride = pixels;
  base.act = params.activation;
  forEachGemmTask<kRows, kStrip>(
      args.pool, batch, outChannels, channels, pixels,
      [&](std::int64_t n) {
        PointwiseImage k = base;
        k.x = xt.as<float>() + n * channels * pixels;
        k.y = yt.as<float>() + n * outChannels * pixels;
        k.residual = residual ? residual + n * outChannels * pixels : nullptr;
        return k;
      },
      run);
}

// MatMul Y (... x M x N) = A (... x M x K) * B (... x K N) as products: the pointwise
// kernels with W = A's matrix (M x K), X = B's (K x N) and N as the pixels, one product
// per output matrix, A and B broadcast over the leading dims (numpy's matmul). Both inputs
// have rank >= 2 (matmulApplies).
template <std::int64_t kRows, std::int64_t kStrip, typename Run>
void forEachMatMulTask(const KernelArgs& args, Run run) {
  const Shape& as = args.inputs[0].type.shape;
  const Shape& bs = args.inputs[1].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;
  const std::int64_t m = as.dims[as.rank - 2], k = as.dims[as.rank - 1], n = bs.dims[bs.rank - 1];
  const int batchRank = ys.rank - 2;
  std::int64_t batch = 1;
  for (int i = 0; i < batchRank; ++i) batch *= ys.dims[i];
  // Element strides of an operand's matrices (of `matrix` elements each) along Y's batch
  // dims, its own batch dims right-aligned to them, 0 where it is broadcast.
  const auto batchStrides = [&](const Shape& s, std::int64_t matrix, std::int64_t (&stride)[kMaxRank]) {
    for (int i = batchRank - 1, j = s.rank - 3; i >= 0; --i, --j) {
      const std::int64_t dim = j >= 0 ? s.dims[j] : 1;
      stride[i] = dim == 1 ? 0 : matrix;
      matrix *= dim;
    }
  };
  std::int64_t strideA[kMaxRank] = {}, strideB[kMaxRank] = {};
  batchStrides(as, m * k, strideA);
  batchStrides(bs, k * n, strideB);
  PointwiseImage base{};
  base.channels = k;
  base.pixels = n;
  base.xStride = n;
  base.yStride = n;
  const float* a = args.inputs[0].as<float>();
  const float* b = args.inputs[1].as<float>();
  float* y = args.outputs[0].as<float>();
  forEachGemmTask<kRows, kStrip>(
      args.pool, batch, m, k, n,
      [&](std::int64_t index) {
        std::int64_t offA = 0, offB = 0, rest = index;
        for (int i = batchRank - 1; i >= 0; --i) {
          const std::int64_t coord = rest % ys.dims[i];
          rest /= ys.dims[i];
          offA += coord * strideA[i];
          offB += coord * strideB[i];
        }
        PointwiseImage im = base;
        im.w = a + offA;
        im.x = b + offB;
        im.y = y + index * m * n;
        return im;
      },
      run);
}

bool matmulApplies(const void* params, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs);

// Grouped convs with fewer output channels per group (depthwise ones above all) would
// fill too little of the general variants' register tile: every input value they pack
// would feed fewer than this many multiply-adds.
inline constexpr std::int64_t kGeneralMinGroupOutputs = 4;

bool generalApplies(const void* params, std::span<const TensorType> inputs,
                    std::span<const TensorType> outputs);
bool pointwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs);
bool depthwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs);
// The direct variant: 2-D, group 1, strides 1 or 2, no dilation; at most
// kDirectMaxChannels input channels with kernels up to kDirectMaxKernel (a network's first
// conv), or up to kDirectMaxWideChannels with a 3x3 kernel (PP-OCR's neck: 96 -> 24, where
// the general variant's im2col copy cost as much as the product).
inline constexpr std::int64_t kDirectMaxChannels = 4;
inline constexpr std::int64_t kDirectMaxKernel = 7;
inline constexpr std::int64_t kDirectMaxWideChannels = 256;
inline constexpr std::int64_t kDirectTileRows = 12;  // output channels per register tile
bool directApplies(const void* params, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs);
// Scratch: one block's weights repacked tap by tap (kDirectTileRows x C x kH x kW floats);
// none for at most kDirectMaxChannels channels (packed on the stack, as before 3x3 over
// more channels was added: images of that time plan no scratch for this variant).
std::uint64_t directScratch(const void* params, std::span<const TensorType> inputs,
                            std::span<const TensorType> outputs);

// The AVX2 and NEON depthwise variants copy one channel plane at a time into scratch,
// zero-padded, so the inner loops read whole vectors with no bounds checks (the AVX-512
// one reads X in place with masked loads instead). A row of the padded plane
// holds the padded input columns the kernel reads (and a little more: the last output
// vector may run past outW; those lanes are computed and never stored). For a column
// stride of 2 a row is stored as two phases, the even padded columns then the odd ones,
// so every tap reads consecutive floats: output column ow, tap kw reads phase kw % 2 at
// ow + kw / 2.
inline constexpr std::int64_t kDepthwiseBlock = 8;  // output columns per block (AVX2, NEON)

struct DepthwisePlane {
  std::int64_t rows = 0;       // padded rows kept: (outH - 1) * strideH + kH
  std::int64_t rowFloats = 0;  // floats per stored row
  std::int64_t phase = 0;      // column stride 2: floats per phase; stride 1: 0
  std::int64_t outCols = 0;    // outW rounded up to kDepthwiseBlock
};

// For validated parameters and types where depthwiseApplies holds; rows rounded up to
// `block` output columns.
DepthwisePlane depthwisePlane(const ConvParams& p, const Shape& x, const Shape& y,
                              std::int64_t block = kDepthwiseBlock);

std::uint64_t depthwiseScratch(std::int64_t block, const void* params, std::span<const TensorType> inputs,
                               std::span<const TensorType> outputs);

template <std::int64_t kBlock>
std::uint64_t depthwiseScratchFor(const void* params, std::span<const TensorType> inputs,
                                  std::span<const TensorType> outputs) {
  return depthwiseScratch(kBlock, params, inputs, outputs);
}

// Fills `plane` (depthwisePlane's layout) from one input channel plane of inH x inW: the
// padded rows [firstRow, firstRow + rows), stored from the plane's first row on (a band of
// output rows reads only those).
void fillDepthwisePlane(const ConvParams& p, const DepthwisePlane& g, const float* x, std::int64_t inH,
                        std::int64_t inW, float* plane, std::int64_t firstRow, std::int64_t rows);

// Offset of tap (kh, kw) from the plane position of output (oh, 0), in floats.
inline std::int64_t depthwiseTapOffset(const DepthwisePlane& g, std::int64_t kh, std::int64_t kw) {
  if (g.phase == 0) return kh * g.rowFloats + kw;
  return kh * g.rowFloats + (kw % 2) * g.phase + kw / 2;
}

// One channel of a depthwise convolution, as the ISA kernels see it.
struct DepthwiseChannel {
  const float* plane;     // the padded copy (fillDepthwisePlane)
  const float* w;         // K x K
  float bias;
  const float* residual;  // outH x outW, or nullptr
  float* y;               // outH x outW
};

// The smallest band of output rows a depthwise task takes when planes are split into
// bands: a band reads kH - strideH more input rows than it covers, at most 2 more for 4.
inline constexpr std::int64_t kDepthwiseMinBandRows = 4;

// How the depthwise variants split their work: for every (image, channel) plane and band of
// output rows [oh0, oh1), run(plane, channel, oh0, oh1, worker) once. On one thread a task
// is every plane, whole. On several, the planes are cut into bands of rows first and the
// bands listed first: task t covers the t-th part of the image for some channels, as the
// pointwise and general variants' tasks cover the t-th part of the pixels for all
// channels, so with the pool's fixed shares one worker reads, op after op, mostly what it
// wrote itself (parallel.hpp).
template <typename RunBand>
void forEachDepthwiseBand(const KernelArgs& args, RunBand run) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;  // no image or no channel (and no scratch)
  const std::int64_t channels = xs.dims[1];
  const std::int64_t planes = xs.dims[0] * channels;
  const std::int64_t outH = ys.dims[2];
  const std::int64_t taps = std::int64_t{p.kernel[0]} * p.kernel[1];
  const std::int64_t maxBands = std::max<std::int64_t>(1, outH / kDepthwiseMinBandRows);
  const std::int64_t tasks = taskCount(args.pool, planes * outH * ys.dims[3] * taps, planes * maxBands);
  const std::int64_t bands = std::min(tasks, maxBands);
  const std::int64_t planeParts = ceilDiv(tasks, bands);
  auto task = [&](std::int64_t t, int worker) {
    const std::int64_t band = t / planeParts;
    const std::int64_t part = t % planeParts;
    const std::int64_t oh0 = partBegin(outH, bands, band);
    const std::int64_t oh1 = partBegin(outH, bands, band + 1);
    for (std::int64_t nc = partBegin(planes, planeParts, part); nc < partBegin(planes, planeParts, part + 1); ++nc) {
      run(nc, nc % channels, oh0, oh1, worker);
    }
  };
  parallelFor(args.pool, bands * planeParts, task);
}

// The depthwise driver of the variants that copy each plane (AVX2, NEON): for every plane
// and band (forEachDepthwiseBand) it fills the band's padded input rows in the worker's
// scratch and calls run(channel, plane geometry, rows, outW) for the ISA's loops, the
// channel's plane, y and residual starting at the band's first row. kBlock: the ISA's
// output columns per block (the plane's rows are rounded up to it;
// depthwiseScratchFor<kBlock> sizes them).
template <std::int64_t kBlock = kDepthwiseBlock, typename RunChannel>
void forEachDepthwiseChannel(const KernelArgs& args, RunChannel run) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const InTensor& xt = args.inputs[0];
  const OutTensor& yt = args.outputs[0];
  const Shape& xs = xt.type.shape;
  const Shape& ys = yt.type.shape;
  if (ys.numel() == 0) return;
  const DepthwisePlane g = depthwisePlane(p, xs, ys, kBlock);
  const std::int64_t outW = ys.dims[3];
  const std::int64_t inPlane = xs.dims[2] * xs.dims[3];
  const std::int64_t outPlane = ys.dims[2] * outW;
  const std::int64_t taps = std::int64_t{p.kernel[0]} * p.kernel[1];
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  forEachDepthwiseBand(args, [&](std::int64_t nc, std::int64_t c, std::int64_t oh0, std::int64_t oh1, int worker) {
    float* plane = reinterpret_cast<float*>(workerScratch(args, worker).data());
    const std::int64_t firstRow = oh0 * p.stride[0];
    const std::int64_t rows = (oh1 - oh0 - 1) * p.stride[0] + p.kernel[0];
    fillDepthwisePlane(p, g, xt.as<float>() + nc * inPlane, xs.dims[2], xs.dims[3], plane, firstRow, rows);
    const std::int64_t at = nc * outPlane + oh0 * outW;
    const DepthwiseChannel ch{plane, w + c * taps, bias ? bias[c] : 0.0f, residual ? residual + at : nullptr,
                              yt.as<float>() + at};
    run(ch, g, oh1 - oh0, outW);
  });
}

// --- Depthwise then pointwise (DepthwisePointwise): the intermediate in scratch -----------
//
// A task is a band of output rows of one image, all channels; it computes the band a chunk
// of rows at a time: the ISA's depthwise loops write the chunk's rows of every channel into
// the worker's scratch (T, channel c at c * tStride floats), then the ISA's pointwise tiles
// read them back, while they are still in cache, and write the chunk's rows of Y with the
// pointwise epilogue. The intermediate never takes a whole tensor in the arena (the chunk
// is the op's scratch). Each value is computed as
// the ISA's depthwise and pointwise kernels compute it, whatever rows a band or chunk
// starts at, so results are bit-identical whatever the thread count. Tasks are numbered by
// image, then band: with one image, worker w writes the w-th part of it, as in the
// other conv variants.
//
//   applies: the depthwise part where depthwiseApplies holds, the pointwise part where
//            pointwiseApplies holds (ops.hpp's DepthwisePointwiseParams has the rest), and
//            a chunk of kDepthwisePointwiseMinChunkRows rows of every channel fits
//            kDepthwisePointwiseChunkFloats (C x outW <= 3072: BlazeFace's blocks, not
//            PP-OCRv4 det's, where one-row chunks made its 12 pairs slower than the two ops).
bool depthwisePointwiseApplies(const void* params, std::span<const TensorType> inputs,
                               std::span<const TensorType> outputs);

// T's target size per chunk, in floats: 48 KiB, about a core's L1 data cache (on BlazeFace
// back 12K floats ran a little faster than 24K or 8K). Chunks are at least one row.
inline constexpr std::int64_t kDepthwisePointwiseChunkFloats = 12 * 1024;
inline constexpr std::int64_t kDepthwisePointwiseMinChunkRows = 4;

struct DepthwisePointwisePlan {
  std::int64_t chunkRows = 1;     // output rows per chunk
  std::int64_t tStride = 0;       // floats per channel of T (a chunk's rows, rounded up)
  std::int64_t planeOffset = 0;   // bytes into the scratch of the ISA's padded plane (block > 0)
  std::int64_t scratchBytes = 0;  // all of it
};

// `block`: the depthwise loops' output columns per block when they copy each plane padded
// (AVX2, NEON: depthwisePlane's layout, for one chunk's input rows); 0 when they read X in
// place (AVX-512).
DepthwisePointwisePlan depthwisePointwisePlan(const DepthwisePointwiseParams& p, const Shape& x, const Shape& y,
                                              std::int64_t block);

template <std::int64_t kBlock>
std::uint64_t depthwisePointwiseScratchFor(const void* params, std::span<const TensorType> inputs,
                                           std::span<const TensorType> outputs) {
  if (outputs[0].shape.numel() == 0) return 0;
  return static_cast<std::uint64_t>(
      depthwisePointwisePlan(*static_cast<const DepthwisePointwiseParams*>(params), inputs[0].shape,
                             outputs[0].shape, kBlock)
          .scratchBytes);
}

// The driver: depthwiseRows(plane, channel, oh0, oh1, t, planeScratch) computes depthwise
// output rows [oh0, oh1) of the (image, channel) plane into t (its row 0 is oh0, rows
// outW floats apart); pointwiseRows is the ISA's pointwise run (forEachGemmTask's).
template <std::int64_t kBlock, typename DepthwiseRows, typename PointwiseRows>
void forEachDepthwisePointwiseChunk(const KernelArgs& args, DepthwiseRows depthwiseRows, PointwiseRows pointwiseRows) {
  const auto& p = *static_cast<const DepthwisePointwiseParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;
  const DepthwisePointwisePlan plan = depthwisePointwisePlan(p, xs, ys, kBlock);
  const std::int64_t images = xs.dims[0], channels = xs.dims[1];
  const std::int64_t outChannels = ys.dims[1], outH = ys.dims[2], outW = ys.dims[3];
  const std::int64_t pixels = outH * outW;
  const std::int64_t taps = std::int64_t{p.depthwise.kernel[0]} * p.depthwise.kernel[1];
  const float* wp = args.inputs[2].as<float>();
  const float* bp = p.pointwise.hasBias ? args.inputs[4].as<float>() : nullptr;
  const float* residual = p.pointwise.hasResidual ? args.inputs[5].as<float>() : nullptr;
  float* y = args.outputs[0].as<float>();
  const std::int64_t maxBands = std::max<std::int64_t>(1, outH / kDepthwiseMinBandRows);
  const std::int64_t tasks = taskCount(args.pool, images * pixels * channels * (taps + outChannels), images * maxBands);
  const std::int64_t bands = std::min(maxBands, ceilDiv(tasks, images));
  auto task = [&](std::int64_t t, int worker) {
    const std::int64_t n = t / bands;
    const std::int64_t band = t % bands;
    const std::int64_t oh1 = partBegin(outH, bands, band + 1);
    std::byte* scratch = workerScratch(args, worker).data();
    float* tBuf = reinterpret_cast<float*>(scratch);
    float* plane = reinterpret_cast<float*>(scratch + plan.planeOffset);
    for (std::int64_t r0 = partBegin(outH, bands, band); r0 < oh1; r0 += plan.chunkRows) {
      const std::int64_t r1 = std::min(oh1, r0 + plan.chunkRows);
      for (std::int64_t c = 0; c < channels; ++c) depthwiseRows(n * channels + c, c, r0, r1, tBuf + c * plan.tStride, plane);
      const std::int64_t at = n * outChannels * pixels + r0 * outW;
      const PointwiseImage k{tBuf, wp, bp, residual ? residual + at : nullptr, y + at, channels,
                             (r1 - r0) * outW, plan.tStride, pixels, p.pointwise.activation};
      pointwiseRows(k, 0, outChannels, 0, (r1 - r0) * outW);
    }
  };
  parallelFor(args.pool, images * bands, task);
}

// The DepthwisePointwise driver of the variants that copy each plane (AVX2, NEON): per
// chunk and channel it fills the chunk's padded input rows in the worker's scratch (after
// T) and calls run(channel, plane geometry, rows, outW), the same loops as
// forEachDepthwiseChannel's, writing into T; pointwiseRows as above.
template <std::int64_t kBlock, typename RunChannel, typename PointwiseRows>
void forEachDepthwisePointwiseChannel(const KernelArgs& args, RunChannel run, PointwiseRows pointwiseRows) {
  const ConvParams& d = static_cast<const DepthwisePointwiseParams*>(args.params)->depthwise;
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;
  const std::int64_t inH = xs.dims[2], inW = xs.dims[3];
  const std::int64_t outW = ys.dims[3];
  const float* x = args.inputs[0].as<float>();
  const float* w = args.inputs[1].as<float>();
  const float* bias = d.hasBias ? args.inputs[3].as<float>() : nullptr;
  const std::int64_t taps = std::int64_t{d.kernel[0]} * d.kernel[1];
  const DepthwisePlane g = depthwisePlane(d, xs, ys, kBlock);
  forEachDepthwisePointwiseChunk<kBlock>(
      args,
      [&](std::int64_t nc, std::int64_t c, std::int64_t oh0, std::int64_t oh1, float* t, float* plane) {
        fillDepthwisePlane(d, g, x + nc * inH * inW, inH, inW, plane, oh0 * d.stride[0],
                           (oh1 - oh0 - 1) * d.stride[0] + d.kernel[0]);
        run(DepthwiseChannel{plane, w + c * taps, bias ? bias[c] : 0.0f, nullptr, t}, g, oh1 - oh0, outW);
      },
      pointwiseRows);
}

// --- General: convolution as a matrix product ---------------------------------------------
//
// Per image and group, Y (OCg x P) = W (OCg x K) * columns (K x P), with P output pixels,
// K = Cg * kH * kW and column j of `columns` the input values output pixel j reads, tap by
// tap (im2col), zero where a tap falls in the padding. Row k of W is then simply row k of
// the OIHW weights. Scratch stays small whatever the conv: for a block of output channels
// (at most panelRows) and a block of K (at most depth steps), the driver copies the
// weights into panels, one per register tile of rows, interleaved step by step; then, one
// strip of output pixels at a time, it builds the strip's columns for that block of K and
// the ISA kernel computes `rows` x `cols` register tiles over them. Y accumulates over the
// blocks of K: the first block starts from bias + residual (reading the residual before Y
// is written, so Y may lie on it), the last applies the activation.
struct GemmBlocking {
  std::int64_t rows;       // output channels per register tile
  std::int64_t cols;       // output pixels per register tile
  std::int64_t strip;      // output pixels per strip of columns, a multiple of cols
  std::int64_t depth;      // most steps of K per block
  std::int64_t panelRows;  // most output channels per block, a multiple of rows
};

// Sized for the first-level data cache: a tile's weights (depth x rows) and columns (depth
// x cols) for one block of K take 22 KiB (AVX2) and 20 KiB (NEON); the strip's columns
// (depth x strip, 96 KiB) and the block's weight panels (depth x panelRows, 96 KiB) stay
// in the second level while every tile passes over them. The ISA files check their
// register tiles against these.
inline constexpr GemmBlocking kAvx2Gemm{6, 16, 96, 256, 96};
inline constexpr GemmBlocking kNeonGemm{8, 12, 96, 256, 96};
// AVX-512: a 12 x 32 tile; 128 steps of K keep a tile's weights and columns at 22 KiB.
inline constexpr GemmBlocking kAvx512Gemm{12, 32, 128, 128, 96};
static_assert(kAvx512Gemm.strip % kAvx512Gemm.cols == 0 && kAvx512Gemm.panelRows % kAvx512Gemm.rows == 0);
static_assert(kAvx2Gemm.strip % kAvx2Gemm.cols == 0 && kAvx2Gemm.panelRows % kAvx2Gemm.rows == 0);
static_assert(kNeonGemm.strip % kNeonGemm.cols == 0 && kNeonGemm.panelRows % kNeonGemm.rows == 0);

struct GemmPlan {
  std::int64_t inH = 1, inW = 1, outH = 1, outW = 1;  // 1-D: H = 1
  std::int64_t inPerGroup = 0, outPerGroup = 0;
  std::int64_t depth = 0;       // K
  std::int64_t pixels = 0;      // P
  std::int64_t blockDepth = 0;  // steps per block of K: K split evenly, at most blocking.depth
  std::int64_t stripPixels = 0; // floats per row of the columns: strip, or P rounded up to cols
  std::int64_t panelRows = 0;   // output channels per block: panelRows, or OCg rounded up to rows
};

// For validated parameters and types where generalApplies holds.
GemmPlan gemmPlan(const GemmBlocking& b, const ConvParams& p, const Shape& x, const Shape& y);

// Scratch: the columns (blockDepth x stripPixels), then the weight panels (blockDepth x
// panelRows).
std::uint64_t generalScratch(const GemmBlocking& b, const void* params,
                             std::span<const TensorType> inputs, std::span<const TensorType> outputs);

template <const GemmBlocking& kB>
std::uint64_t generalScratchFor(const void* params, std::span<const TensorType> inputs,
                                std::span<const TensorType> outputs) {
  return generalScratch(kB, params, inputs, outputs);
}

// The life cycle (registry.hpp): the weights of every group packed once, as the register
// tiles read them: per group and tile of `rows` output channels, step k of K and row r at
// [k * rows + r] (rows past the group's last output channel zero). The driver then reads
// each block of K's panel in place instead of filling it per task on every run: on
// PP-OCRv4 rec, whose late convs have few output pixels per weight, that fill was 2% of the
// inference. No state when the weights are not a constant of the image.
std::uint64_t generalState(const GemmBlocking& b, const void* params, std::span<const TensorType> inputs,
                           std::span<const TensorType> outputs, std::uint32_t constantInputs);
void generalPrepare(const GemmBlocking& b, const PrepareArgs& args);

template <const GemmBlocking& kB>
std::uint64_t generalStateFor(const void* params, std::span<const TensorType> inputs,
                              std::span<const TensorType> outputs, std::uint32_t constantInputs) {
  return generalState(kB, params, inputs, outputs, constantInputs);
}
template <const GemmBlocking& kB>
void generalPrepareFor(const PrepareArgs& args) {
  generalPrepare(kB, args);
}

// Columns [p0, p0 + count) and steps [k0, k0 + kc) of one image and group (x: its first
// channel plane) into `columns`, step k at columns + (k - k0) * stripPixels; columns
// [count, width) are zero.
void fillColumns(const ConvParams& p, const GemmPlan& g, const float* x, std::int64_t k0,
                 std::int64_t kc, std::int64_t p0, std::int64_t count, std::int64_t width,
                 float* columns);

// Steps [0, kc) of `rows` weight rows (w: row 0, step 0; rows rowStride floats apart,
// steps stepStride) interleaved as panel[k * tileRows + r]; rows [rows, tileRows) are zero.
void fillWeightTile(const float* w, std::int64_t rowStride, std::int64_t stepStride,
                    std::int64_t rows, std::int64_t kc, std::int64_t tileRows, float* panel);

// One register tile as the ISA kernels see it.
struct GemmTile {
  const float* w;         // fillWeightTile's panel: step k, row r at w[k * blocking.rows + r]
  const float* columns;   // the tile's first column: step k, pixel j at columns[k * stride + j]
  std::int64_t steps;     // steps of K in this block (may be 0: a conv over no channel)
  std::int64_t stride;    // floats between steps of `columns`
  std::int64_t rows;      // output channels to store, 1..blocking.rows
  std::int64_t pixels;    // output pixels to store, 1..blocking.cols (columns past are zero)
  float* y;               // output channel r, pixel j at y[r * plane + j]
  std::int64_t plane;     // floats between output channels: P
  const float* bias;      // per row, or nullptr
  const float* residual;  // laid out as y, or nullptr; read in the first block only
  bool first;             // the first block of K: start from bias + residual, not from y
  bool last;              // the last block: apply the activation
};

// The general driver the ISAs share: for every image, group, block of output channels and
// block of K it fills the weight panels (unless generalPrepare packed them once: then it
// reads them from the state), then for every strip the columns, and calls run(tile) for
// each register tile of the strip. On a pool, each task (splitWork) does this for its own
// block of output channels and range of strips, in its worker's scratch.
template <const GemmBlocking& kB, typename RunTile>
void forEachGemmTile(const KernelArgs& args, RunTile run) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;  // no image, output channel or pixel (and no scratch)
  const GemmPlan g = gemmPlan(kB, p, xs, ys);
  const std::int64_t channels = xs.dims[1];
  const std::int64_t outChannels = ys.dims[1];
  const std::int64_t inPlane = g.inH * g.inW;
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  // At least one block, so that a conv over no channel still writes bias + residual.
  const std::int64_t blocks = g.depth == 0 ? 1 : (g.depth + g.blockDepth - 1) / g.blockDepth;
  const std::int64_t outer = xs.dims[0] * p.group;
  const std::int64_t strips = (g.pixels + g.stripPixels - 1) / g.stripPixels;
  const std::int64_t rowTiles = (g.outPerGroup + kB.rows - 1) / kB.rows;
  const float* packed = args.state.empty() ? nullptr : reinterpret_cast<const float*>(args.state.data());
  const WorkSplit split =
      splitWork(taskCount(args.pool, outer * g.outPerGroup * g.pixels * std::max<std::int64_t>(g.depth, 1),
                          outer * rowTiles * strips),
                outer, strips, g.outPerGroup, kB.rows, g.panelRows);
  auto task = [&](std::int64_t t, int worker) {
    float* columns = reinterpret_cast<float*>(workerScratch(args, worker).data());
    float* panels = columns + g.blockDepth * g.stripPixels;
    const std::int64_t m0 = t % split.rowBlocks * split.rowBlock;
    const std::int64_t chunk = t / split.rowBlocks % split.stripChunks;
    const std::int64_t pair = t / split.rowBlocks / split.stripChunks;  // image and group
    const std::int64_t n = pair / p.group;
    const std::int64_t grp = pair % p.group;
    const std::int64_t firstOut = n * outChannels + grp * g.outPerGroup;
    const float* x = args.inputs[0].as<float>() + (n * channels + grp * g.inPerGroup) * inPlane;
    const float* wg = w + grp * g.outPerGroup * g.depth;
    const float* bg = bias ? bias + grp * g.outPerGroup : nullptr;
    float* y = args.outputs[0].as<float>() + firstOut * g.pixels;
    const float* res = residual ? residual + firstOut * g.pixels : nullptr;
    const std::int64_t panelRows = std::min(split.rowBlock, g.outPerGroup - m0);
    const std::int64_t stripEnd = partBegin(strips, split.stripChunks, chunk + 1);
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t k0 = b * g.blockDepth;
      const std::int64_t kc = std::min(g.blockDepth, g.depth - k0);
      // The panel of the tile at row m starts at panels + m * kc; prepared, at its tile's
      // step k0 in the group's packed weights (m0 is a whole number of tiles: splitWork).
      const auto panelAt = [&](std::int64_t m) -> const float* {
        if (packed == nullptr) return panels + m * kc;
        return packed + ((grp * rowTiles + (m0 + m) / kB.rows) * g.depth + k0) * kB.rows;
      };
      for (std::int64_t m = 0; packed == nullptr && m < panelRows; m += kB.rows) {
        fillWeightTile(wg + (m0 + m) * g.depth + k0, g.depth, 1, std::min(kB.rows, panelRows - m), kc, kB.rows,
                       panels + m * kc);
      }
      for (std::int64_t strip = partBegin(strips, split.stripChunks, chunk); strip < stripEnd; ++strip) {
        const std::int64_t p0 = strip * g.stripPixels;
        const std::int64_t count = std::min(g.stripPixels, g.pixels - p0);
        const std::int64_t width = (count + kB.cols - 1) / kB.cols * kB.cols;
        fillColumns(p, g, x, k0, kc, p0, count, width, columns);
        for (std::int64_t m = 0; m < panelRows; m += kB.rows) {
          const std::int64_t rows = std::min(kB.rows, panelRows - m);
          for (std::int64_t j = 0; j < count; j += kB.cols) {
            const std::int64_t at = (m0 + m) * g.pixels + p0 + j;
            run(GemmTile{panelAt(m), columns + j, kc, g.stripPixels, rows, std::min(kB.cols, count - j),
                         y + at, g.pixels, bg ? bg + m0 + m : nullptr, res ? res + at : nullptr, b == 0,
                         b == blocks - 1});
          }
        }
      }
    }
  };
  parallelFor(args.pool, split.tasks, task);
}

// --- ConvTranspose, upsample: stride == kernel ---------------------------------------------
//
// With stride == kernel on each axis (dilation 1, group 1: the learned 2x upsampling of
// segmentation heads), output position o on an axis takes exactly one tap of one input
// position, i = (o + padBegin) / stride and tap (o + padBegin) % stride, or none where
// i >= in (output padding: bias alone). Per image and tap (kh, kw) that is a pointwise
// product, Y_tap (OC x Pin) = W_tap (OC x C) * X (C x Pin) over the Pin input pixels,
// whose pixel (ih, iw) lands on output (ih * sH + kh - padTop, iw * sW + kw - padLeft)
// unless the pads crop it. The driver copies a strip of X's pixels and a block of its
// channels into scratch (zero-padded to whole register tiles), computes each tap's
// register tiles into a scratch tile of rows x strip and scatters that into Y, adding to
// what the earlier blocks of channels left there.
bool upsampleApplies(const void* params, std::span<const TensorType> inputs,
                     std::span<const TensorType> outputs);

struct UpsamplePlan {
  std::int64_t inH = 1, inW = 1, outH = 1, outW = 1;  // 1-D: H = 1
  std::int64_t pixels = 0;      // Pin
  std::int64_t blockDepth = 0;  // input channels per block: C split evenly, at most blocking.depth
  std::int64_t stripPixels = 0; // input pixels per strip: strip, or Pin rounded up to cols
};

// For validated parameters and types where upsampleApplies holds.
UpsamplePlan upsamplePlan(const GemmBlocking& b, const ConvTransposeParams& p, const Shape& x,
                          const Shape& y);

// Scratch: the padded columns of a strip's last register tile (blockDepth x cols), the
// weight tile (blockDepth x rows), the output tile (rows x stripPixels), the bias per GEMM
// row (output channels x taps).
std::uint64_t upsampleScratch(const GemmBlocking& b, const void* params,
                              std::span<const TensorType> inputs, std::span<const TensorType> outputs);

template <const GemmBlocking& kB>
std::uint64_t upsampleScratchFor(const void* params, std::span<const TensorType> inputs,
                                 std::span<const TensorType> outputs) {
  return upsampleScratch(kB, params, inputs, outputs);
}

// Pixels [p0, p0 + count) of planes [0, kc) of X (x: the first, `plane` floats each) into
// `columns`, plane k at columns + k * stripPixels; columns [count, width) are zero.
void fillPlaneColumns(const float* x, std::int64_t plane, std::int64_t kc, std::int64_t p0,
                      std::int64_t count, std::int64_t width, std::int64_t stripPixels, float* columns);

// The output pixels of one image that no input reaches: act(bias) (or act(0)) in every
// channel.
void fillUncovered(const ConvTransposeParams& p, const UpsamplePlan& g, std::int64_t outChannels,
                   const float* bias, float* y);

// GEMM rows [q, q + rows) (row q: output channel q / taps, tap q % taps) of input pixels
// [p0, p0 + count) from the output tile `out` (rows stripPixels floats apart) into Y (y:
// channel 0 of the image), stored or, with `accumulate`, added; with `activate`, the
// activation is applied to the sum (the last channel block).
void scatterRows(const ConvTransposeParams& p, const UpsamplePlan& g, const float* out, std::int64_t q,
                 std::int64_t rows, std::int64_t p0, std::int64_t count, float* y, bool accumulate,
                 bool activate);

// The upsample driver both ISAs share. The GEMM's rows are (output channel, tap) pairs
// (the weights' own order, so the panels are plain strided reads), its columns input
// pixels read straight from X (only the last, partial register tile of a strip goes
// through a zero-padded copy), its depth the input channels. Each tile of rows is then
// scattered into Y, two taps side by side at once where they interleave into one output
// row. run(tile, activation): with one channel block the tile applies the fused
// activation; with several, the scatter applies it once the last block is added. Tasks are
// ranges of strips of one image: with stride == kernel, different input pixels reach
// different output pixels, so the tasks write disjoint parts of Y (the first of each image
// also the pixels no input reaches), each in its worker's scratch.
template <const GemmBlocking& kB, typename RunTile>
void forEachUpsampleTile(const KernelArgs& args, RunTile run) {
  const auto& p = *static_cast<const ConvTransposeParams*>(args.params);
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  if (ys.numel() == 0) return;  // no image or no output channel (and no scratch)
  const UpsamplePlan g = upsamplePlan(kB, p, xs, ys);
  const std::int64_t channels = xs.dims[1];
  const std::int64_t outChannels = ys.dims[1];
  const std::int64_t outPlane = g.outH * g.outW;
  const std::int64_t taps = std::int64_t{p.kernel[0]} * p.kernel[1];
  const std::int64_t gemmRows = outChannels * taps;
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const std::int64_t blocks = channels == 0 ? 1 : (channels + g.blockDepth - 1) / g.blockDepth;
  const std::int64_t images = xs.dims[0];
  const std::int64_t strips = g.pixels == 0 ? 1 : (g.pixels + g.stripPixels - 1) / g.stripPixels;
  const std::int64_t chunks =
      (taskCount(args.pool, images * g.pixels * gemmRows * std::max<std::int64_t>(channels, 1),
                 images * strips) + images - 1) / images;
  auto task = [&](std::int64_t t, int worker) {
    float* tail = reinterpret_cast<float*>(workerScratch(args, worker).data());
    float* panel = tail + g.blockDepth * kB.cols;
    float* out = panel + g.blockDepth * kB.rows;
    float* rowBias = out + kB.rows * g.stripPixels;
    if (bias) {
      for (std::int64_t q = 0; q < gemmRows; ++q) rowBias[q] = bias[q / taps];
    }
    const std::int64_t n = t / chunks;
    const std::int64_t chunk = t % chunks;
    const float* x = args.inputs[0].as<float>() + n * channels * g.pixels;
    float* y = args.outputs[0].as<float>() + n * outChannels * outPlane;
    if (chunk == 0) fillUncovered(p, g, outChannels, bias, y);
    const std::int64_t stripEnd = std::min(g.pixels, partBegin(strips, chunks, chunk + 1) * g.stripPixels);
    for (std::int64_t p0 = partBegin(strips, chunks, chunk) * g.stripPixels; p0 < stripEnd; p0 += g.stripPixels) {
      const std::int64_t count = std::min(g.stripPixels, g.pixels - p0);
      const std::int64_t full = count / kB.cols * kB.cols;
      for (std::int64_t b = 0; b < blocks; ++b) {
        const std::int64_t c0 = b * g.blockDepth;
        const std::int64_t kc = std::min(g.blockDepth, channels - c0);
        const float* xb = x + c0 * g.pixels + p0;  // step k at xb + k * pixels
        if (full < count) fillPlaneColumns(xb, g.pixels, kc, full, count - full, kB.cols, kB.cols, tail);
        const ActivationParams act = blocks == 1 ? p.activation : ActivationParams{};
        const bool activateInScatter = b == blocks - 1 && blocks > 1;
        for (std::int64_t q = 0; q < gemmRows; q += kB.rows) {
          const std::int64_t rows = std::min(kB.rows, gemmRows - q);
          fillWeightTile(w + c0 * gemmRows + q, 1, gemmRows, rows, kc, kB.rows, panel);
          const float* tileBias = bias && b == 0 ? rowBias + q : nullptr;
          for (std::int64_t j = 0; j < full; j += kB.cols) {
            run(GemmTile{panel, xb + j, kc, g.pixels, rows, kB.cols, out + j, g.stripPixels, tileBias, nullptr,
                         true, true},
                act);
          }
          if (full < count) {
            run(GemmTile{panel, tail, kc, kB.cols, rows, count - full, out + full, g.stripPixels, tileBias,
                         nullptr, true, true},
                act);
          }
          scatterRows(p, g, out, q, rows, p0, count, y, b > 0, activateInScatter);
        }
      }
    }
  };
  parallelFor(args.pool, images * chunks, task);
}

#if defined(__x86_64__)
namespace x86 {
void runGeneral(const KernelArgs& args);  // AVX2 + FMA
void runPointwise(const KernelArgs& args);
void runMatMul(const KernelArgs& args);  // forEachMatMulTask with the pointwise tiles
void runDepthwise(const KernelArgs& args);
void runUpsample(const KernelArgs& args);  // ConvTranspose
// AVX-512 F, BW, VL (with AVX2 + FMA)
void runGeneralAvx512(const KernelArgs& args);
void runPointwiseAvx512(const KernelArgs& args);
void runMatMulAvx512(const KernelArgs& args);
void runDepthwiseAvx512(const KernelArgs& args);
void runDirectAvx512(const KernelArgs& args);
void runUpsampleAvx512(const KernelArgs& args);  // ConvTranspose
// DepthwisePointwise (forEachDepthwisePointwiseChunk with the depthwise loops of the
// ISA's depthwise file and the tiles of its pointwise file, which the latter exports)
void runDepthwisePointwise(const KernelArgs& args);  // AVX2 + FMA
void runDepthwisePointwiseAvx512(const KernelArgs& args);
void pointwiseRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1);
void pointwiseRowsAvx512(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0,
                         std::int64_t p1);
}  // namespace x86
#endif

#if defined(__aarch64__)
namespace neon {
void runGeneral(const KernelArgs& args);
void runPointwise(const KernelArgs& args);
void runMatMul(const KernelArgs& args);  // forEachMatMulTask with the pointwise tiles
void runDepthwise(const KernelArgs& args);
void runUpsample(const KernelArgs& args);  // ConvTranspose
void runDepthwisePointwise(const KernelArgs& args);
void pointwiseRows(const PointwiseImage& k, std::int64_t m0, std::int64_t m1, std::int64_t p0, std::int64_t p1);
}  // namespace neon
#endif

}  // namespace edgert::kernels::conv
