// The fast Conv variants: where each applies (portable: the compiler on an x86-64 host
// chooses NEON variants for an aarch64 image), the scratch layout the depthwise variants
// share, and the kernels themselves, built only for their own architecture.
//
//   pointwise: 1x1 kernel, stride 1, no pads, group 1 (any dilation: it has no effect).
//   depthwise: 2-D, group == C == OC, kernel 3x3 or 5x5, strides 1 or 2 per axis,
//              dilation 1, any pads.
// Both: NCHW input, OIHW weights (weightLayout 0), float32 accumulation, the fused
// epilogue Y = act(conv + bias + residual), Y allowed to lie exactly on the residual.
#pragma once

#include "edgert/kernels/registry.hpp"

#include <cstdint>

namespace edgert::kernels::conv {

bool pointwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs);
bool depthwiseApplies(const void* params, std::span<const TensorType> inputs,
                      std::span<const TensorType> outputs);

// The depthwise variants copy one channel plane at a time into scratch, zero-padded, so
// the inner loops read whole vectors with no bounds checks. A row of the padded plane
// holds the padded input columns the kernel reads (and a little more: the last output
// vector may run past outW; those lanes are computed and never stored). For a column
// stride of 2 a row is stored as two phases, the even padded columns then the odd ones,
// so every tap reads consecutive floats: output column ow, tap kw reads phase kw % 2 at
// ow + kw / 2.
inline constexpr std::int64_t kDepthwiseBlock = 8;  // output columns per block (both ISAs)

struct DepthwisePlane {
  std::int64_t rows = 0;       // padded rows kept: (outH - 1) * strideH + kH
  std::int64_t rowFloats = 0;  // floats per stored row
  std::int64_t phase = 0;      // column stride 2: floats per phase; stride 1: 0
  std::int64_t outCols = 0;    // outW rounded up to kDepthwiseBlock
};

// For validated parameters and types where depthwiseApplies holds.
DepthwisePlane depthwisePlane(const ConvParams& p, const Shape& x, const Shape& y);

std::uint64_t depthwiseScratch(const void* params, std::span<const TensorType> inputs,
                               std::span<const TensorType> outputs);

// Fills `plane` (depthwisePlane's layout) from one input channel plane of inH x inW.
void fillDepthwisePlane(const ConvParams& p, const DepthwisePlane& g, const float* x,
                        std::int64_t inH, std::int64_t inW, float* plane);

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

// The depthwise driver both ISAs share: for every (image, channel) it fills the padded
// plane in scratch and calls run(channel, plane geometry, outH, outW) for the ISA's loops.
template <typename RunChannel>
void forEachDepthwiseChannel(const KernelArgs& args, RunChannel run) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const InTensor& xt = args.inputs[0];
  const OutTensor& yt = args.outputs[0];
  const Shape& xs = xt.type.shape;
  const Shape& ys = yt.type.shape;
  const DepthwisePlane g = depthwisePlane(p, xs, ys);
  const std::int64_t channels = xs.dims[1];
  const std::int64_t inPlane = xs.dims[2] * xs.dims[3];
  const std::int64_t outPlane = ys.dims[2] * ys.dims[3];
  const std::int64_t taps = std::int64_t{p.kernel[0]} * p.kernel[1];
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  float* plane = reinterpret_cast<float*>(args.scratch.data());
  for (std::int64_t n = 0; n < xs.dims[0]; ++n) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const std::int64_t nc = n * channels + c;
      fillDepthwisePlane(p, g, xt.as<float>() + nc * inPlane, xs.dims[2], xs.dims[3], plane);
      const DepthwiseChannel ch{plane, w + c * taps, bias ? bias[c] : 0.0f,
                                residual ? residual + nc * outPlane : nullptr, yt.as<float>() + nc * outPlane};
      run(ch, g, ys.dims[2], ys.dims[3]);
    }
  }
}

#if defined(__x86_64__)
namespace x86 {
void runPointwise(const KernelArgs& args);  // AVX2 + FMA
void runDepthwise(const KernelArgs& args);
}  // namespace x86
#endif

#if defined(__aarch64__)
namespace neon {
void runPointwise(const KernelArgs& args);
void runDepthwise(const KernelArgs& args);
}  // namespace neon
#endif

}  // namespace edgert::kernels::conv
