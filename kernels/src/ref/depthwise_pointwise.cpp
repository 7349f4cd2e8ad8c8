// DepthwisePointwise, reference kernel: a depthwise Conv and the pointwise Conv that reads
// it, computed a band of rows at a time. The intermediate T lives in scratch, a band of
// kRefBandRows rows of every channel, and each of its values (and each output) is computed
// exactly as the Conv reference computes it (sums in double, taps in the padding skipped,
// bias first, residual last, then the activation), so the fused op gives bit for bit what
// the two Convs give.
#include "ref_ops.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "DepthwisePointwise";
constexpr std::int64_t kRefBandRows = 4;

bool present(std::span<const TensorType> inputs, std::size_t i) {
  return i < inputs.size() && inputs[i].shape.rank != kAbsentRank;
}

TensorType absent() {
  TensorType t;
  t.shape.rank = kAbsentRank;
  return t;
}

}  // namespace

Result<void> inferDepthwisePointwise(const void* params, std::span<const TensorType> inputs,
                                     std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 3, 6, 1, kOp));
  const auto& p = *static_cast<const DepthwisePointwiseParams*>(params);
  const ConvParams& d = p.depthwise;
  const ConvParams& q = p.pointwise;
  if (d.spatialRank != 2 || d.hasResidual != 0) {
    return makeError(Errc::kCorrupt, "{}: the depthwise part must be 2-D without a residual (spatial rank {}, "
                     "hasResidual {})", kOp, d.spatialRank, d.hasResidual);
  }
  if (q.spatialRank != 2 || q.kernel[0] != 1 || q.kernel[1] != 1 || q.stride[0] != 1 || q.stride[1] != 1 ||
      q.dilation[0] != 1 || q.dilation[1] != 1 || q.padBegin[0] != 0 || q.padBegin[1] != 0 ||
      q.padEnd[0] != 0 || q.padEnd[1] != 0 || q.group != 1) {
    return makeError(Errc::kCorrupt,
                     "{}: the pointwise part must be a 2-D 1x1 conv, stride 1, dilation 1, no pads, group 1 "
                     "(kernel {}x{}, stride {}x{}, dilation {}x{}, pads {},{},{},{}, group {})",
                     kOp, q.kernel[0], q.kernel[1], q.stride[0], q.stride[1], q.dilation[0], q.dilation[1],
                     q.padBegin[0], q.padBegin[1], q.padEnd[0], q.padEnd[1], q.group);
  }
  if (inputs[0].shape.rank != 4) {
    return makeError(Errc::kInvalidArgument, "{}: X {} must have rank 4 (N x C x H x W)", kOp,
                     formatShape(inputs[0].shape));
  }
  if (d.group != inputs[0].shape.dims[1]) {
    return makeError(Errc::kInvalidArgument, "{}: the depthwise group {} is not X's {} channels", kOp, d.group,
                     inputs[0].shape.dims[1]);
  }
  // Each part is checked by Conv's own infer: the depthwise part on (X, Wd, Bd), the
  // pointwise part on (T, Wp, Bp, residual).
  const std::array<TensorType, 3> depthwiseIn{inputs[0], inputs[1], present(inputs, 3) ? inputs[3] : absent()};
  std::array<TensorType, 1> t{};
  if (auto r = inferConv(&d, depthwiseIn, t); !r) return std::move(r).error().withContext("DepthwisePointwise, depthwise part");
  if (t[0].shape.dims[1] != d.group) {
    return makeError(Errc::kInvalidArgument, "{}: the depthwise part gives {} channels from {}: a channel "
                     "multiplier other than 1", kOp, t[0].shape.dims[1], d.group);
  }
  const std::array<TensorType, 4> pointwiseIn{t[0], inputs[2], present(inputs, 4) ? inputs[4] : absent(),
                                              present(inputs, 5) ? inputs[5] : absent()};
  if (auto r = inferConv(&q, pointwiseIn, outputs); !r) return std::move(r).error().withContext("DepthwisePointwise, pointwise part");
  return success();
}

std::uint64_t depthwisePointwiseScratch(const void* /*params*/, std::span<const TensorType> inputs,
                                        std::span<const TensorType> outputs) {
  const Shape& y = outputs[0].shape;
  if (y.numel() == 0) return 0;  // nothing to compute (and C x W alone could overflow)
  const std::int64_t rows = std::min<std::int64_t>(kRefBandRows, y.dims[2]);
  return static_cast<std::uint64_t>(inputs[0].shape.dims[1] * rows * y.dims[3]) * sizeof(float);
}

void runDepthwisePointwise(const KernelArgs& args) {
  const auto& p = *static_cast<const DepthwisePointwiseParams*>(args.params);
  const ConvParams& d = p.depthwise;
  const Shape& xs = args.inputs[0].type.shape;
  const Shape& ys = args.outputs[0].type.shape;
  const float* x = args.inputs[0].as<float>();
  const float* wd = args.inputs[1].as<float>();
  const float* wp = args.inputs[2].as<float>();
  const float* bd = d.hasBias ? args.inputs[3].as<float>() : nullptr;
  const float* bp = p.pointwise.hasBias ? args.inputs[4].as<float>() : nullptr;
  const float* residual = p.pointwise.hasResidual ? args.inputs[5].as<float>() : nullptr;
  float* y = args.outputs[0].as<float>();
  float* t = reinterpret_cast<float*>(args.scratch.data());
  const std::int64_t batch = xs.dims[0], channels = xs.dims[1], inH = xs.dims[2], inW = xs.dims[3];
  const std::int64_t outChannels = ys.dims[1], outH = ys.dims[2], outW = ys.dims[3];
  const std::int64_t kH = d.kernel[0], kW = d.kernel[1];
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t oh0 = 0; oh0 < outH; oh0 += kRefBandRows) {
      const std::int64_t rows = std::min(kRefBandRows, outH - oh0);
      // T's band: channel c, band row r at t[(c * rows + r) * outW + ow].
      for (std::int64_t c = 0; c < channels; ++c) {
        const float* xc = x + (n * channels + c) * inH * inW;
        for (std::int64_t r = 0; r < rows; ++r) {
          for (std::int64_t ow = 0; ow < outW; ++ow) {
            double sum = bd ? bd[c] : 0.0;
            for (std::int64_t kh = 0; kh < kH; ++kh) {
              const std::int64_t ih = (oh0 + r) * d.stride[0] - d.padBegin[0] + kh * d.dilation[0];
              if (ih < 0 || ih >= inH) continue;
              for (std::int64_t kw = 0; kw < kW; ++kw) {
                const std::int64_t iw = ow * d.stride[1] - d.padBegin[1] + kw * d.dilation[1];
                if (iw < 0 || iw >= inW) continue;
                sum += static_cast<double>(xc[ih * inW + iw]) * static_cast<double>(wd[(c * kH + kh) * kW + kw]);
              }
            }
            t[(c * rows + r) * outW + ow] = applyActivation(d.activation, static_cast<float>(sum));
          }
        }
      }
      for (std::int64_t m = 0; m < outChannels; ++m) {
        for (std::int64_t r = 0; r < rows; ++r) {
          for (std::int64_t ow = 0; ow < outW; ++ow) {
            double sum = bp ? bp[m] : 0.0;
            for (std::int64_t c = 0; c < channels; ++c) {
              sum += static_cast<double>(t[(c * rows + r) * outW + ow]) * static_cast<double>(wp[m * channels + c]);
            }
            const std::int64_t yi = ((n * outChannels + m) * outH + oh0 + r) * outW + ow;
            if (residual) sum += residual[yi];
            y[yi] = applyActivation(p.pointwise.activation, static_cast<float>(sum));
          }
        }
      }
    }
  }
}

}  // namespace edgert::kernels::ref
