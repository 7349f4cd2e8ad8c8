// Conv, reference kernel: direct convolution of an NCHW (or NCW) input with OIHW (or OIW)
// weights, with groups, strides, dilations and explicit pads, and the fused epilogue
// Y = act(conv + bias + residual). Sums are accumulated in double, so this is a tighter
// reference than any float variant tested against it.
//
// 1-D convolution (spatialRank 1) runs on rank-3 tensors as if H were 1: index 0 of the
// kernel/stride/dilation/pad arrays must then be neutral (1, 1, 1, 0, 0).
#include "ref_ops.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "Conv";

bool present(std::span<const TensorType> inputs, std::size_t i) {
  return i < inputs.size() && inputs[i].shape.rank != kAbsentRank;
}

Result<void> checkFlag(std::uint8_t value, std::string_view name) {
  if (value > 1)
    return makeError(Errc::kCorrupt, "{}: {} is {}, expected 0 or 1", kOp, name, value);
  return success();
}

Result<void> checkParams(const ConvParams& p) {
  if (p.spatialRank != 1 && p.spatialRank != 2) {
    return makeError(Errc::kCorrupt, "{}: spatial rank {} is not 1 or 2", kOp, p.spatialRank);
  }
  for (int a = 0; a < 2; ++a) {
    if (p.kernel[a] < 1 || p.stride[a] < 1 || p.dilation[a] < 1) {
      return makeError(
          Errc::kCorrupt,
          "{}: kernel {}, stride {}, dilation {} on spatial axis {}: each must be at least 1", kOp,
          p.kernel[a], p.stride[a], p.dilation[a], a);
    }
    if (p.padBegin[a] < 0 || p.padEnd[a] < 0) {
      return makeError(Errc::kCorrupt, "{}: negative pads {}, {} on spatial axis {}", kOp,
                       p.padBegin[a], p.padEnd[a], a);
    }
  }
  if (p.spatialRank == 1 && (p.kernel[0] != 1 || p.stride[0] != 1 || p.dilation[0] != 1 ||
                             p.padBegin[0] != 0 || p.padEnd[0] != 0)) {
    return makeError(Errc::kCorrupt,
                     "{}: 1-D conv needs kernel[0] 1, stride[0] 1, dilation[0] 1 and pads[0] 0, "
                     "found {}, {}, {}, {}+{}",
                     kOp, p.kernel[0], p.stride[0], p.dilation[0], p.padBegin[0], p.padEnd[0]);
  }
  if (p.group < 1) return makeError(Errc::kCorrupt, "{}: group {} is below 1", kOp, p.group);
  EDGERT_TRY(checkFlag(p.hasBias, "hasBias"));
  EDGERT_TRY(checkFlag(p.hasResidual, "hasResidual"));
  if (p.weightLayout != 0) {
    return makeError(Errc::kUnsupported, "{}: weight layout {} is not supported (only 0, OIHW)",
                     kOp, p.weightLayout);
  }
  return validateActivation(p.activation, kOp);
}

// Size of spatial axis a (0: H, 1: W) of a tensor; a 1-D tensor (N, C, W) has H = 1.
std::int64_t spatialDim(const Shape& s, std::int32_t spatialRank, int a) {
  if (spatialRank == 1) return a == 0 ? 1 : s.dims[2];
  return s.dims[2 + a];
}

}  // namespace

Result<void> inferConv(const void* params, std::span<const TensorType> inputs,
                       std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 2, 4, 1, kOp));
  const auto& p = *static_cast<const ConvParams*>(params);
  EDGERT_TRY(checkParams(p));
  if ((p.hasBias != 0) != present(inputs, 2)) {
    return makeError(Errc::kCorrupt, "{}: hasBias is {} but the bias input is {}", kOp, p.hasBias,
                     present(inputs, 2) ? "present" : "absent");
  }
  if ((p.hasResidual != 0) != present(inputs, 3)) {
    return makeError(Errc::kCorrupt, "{}: hasResidual is {} but the residual input is {}", kOp,
                     p.hasResidual, present(inputs, 3) ? "present" : "absent");
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (present(inputs, i) && inputs[i].dtype != DType::kFloat32) {
      return makeError(Errc::kUnsupported, "{}: input {} is {}, expected float32", kOp, i,
                       dtypeName(inputs[i].dtype));
    }
  }

  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  const int rank = 2 + p.spatialRank;
  if (x.rank != rank || w.rank != rank) {
    return makeError(Errc::kInvalidArgument,
                     "{}: X {} and W {} must both have rank {} for a {}-D conv", kOp,
                     formatShape(x), formatShape(w), rank, p.spatialRank);
  }
  const std::int64_t channels = x.dims[1];
  const std::int64_t outChannels = w.dims[0];
  if (channels % p.group != 0) {
    return makeError(Errc::kInvalidArgument, "{}: group {} does not divide {} input channels", kOp,
                     p.group, channels);
  }
  if (outChannels % p.group != 0) {
    return makeError(Errc::kInvalidArgument, "{}: group {} does not divide {} output channels", kOp,
                     p.group, outChannels);
  }
  if (w.dims[1] != channels / p.group) {
    return makeError(Errc::kInvalidArgument,
                     "{}: W {} has {} input channels per group, expected {} / group {} = {}", kOp,
                     formatShape(w), w.dims[1], channels, p.group, channels / p.group);
  }

  Shape y = x;
  y.dims[1] = outChannels;
  for (int a = 2 - p.spatialRank; a < 2; ++a) {
    const int axis = p.spatialRank == 1 ? 2 : 2 + a;
    if (w.dims[axis] != p.kernel[a]) {
      return makeError(Errc::kInvalidArgument, "{}: W {} does not match kernel size {} on axis {}",
                       kOp, formatShape(w), p.kernel[a], axis);
    }
    // No overflow: kernel and dilation are below 2^31, dims at most 2^40.
    const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
    const std::int64_t padded = x.dims[axis] + p.padBegin[a] + p.padEnd[a];
    if (padded < extent) {
      return makeError(Errc::kInvalidArgument,
                       "{}: kernel extent {} exceeds padded input {} on axis {}", kOp, extent,
                       padded, axis);
    }
    y.dims[axis] = (padded - extent) / p.stride[a] + 1;
  }
  EDGERT_TRY(validateShape(y, kOp));

  if (p.hasBias && !(inputs[2].shape.rank == 1 && inputs[2].shape.dims[0] == outChannels)) {
    return makeError(Errc::kInvalidArgument, "{}: bias {} does not match {} output channels", kOp,
                     formatShape(inputs[2].shape), outChannels);
  }
  if (p.hasResidual && !(inputs[3].shape == y)) {
    return makeError(Errc::kInvalidArgument, "{}: residual {} does not match output {}", kOp,
                     formatShape(inputs[3].shape), formatShape(y));
  }
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runConv(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvParams*>(args.params);
  const InTensor& xt = args.inputs[0];
  const InTensor& wt = args.inputs[1];
  const OutTensor& yt = args.outputs[0];
  const float* x = xt.as<float>();
  const float* w = wt.as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
  const float* residual = p.hasResidual ? args.inputs[3].as<float>() : nullptr;
  float* y = yt.as<float>();

  const std::int32_t sr = p.spatialRank;
  const std::int64_t batch = xt.type.shape.dims[0];
  const std::int64_t channels = xt.type.shape.dims[1];
  const std::int64_t inH = spatialDim(xt.type.shape, sr, 0);
  const std::int64_t inW = spatialDim(xt.type.shape, sr, 1);
  const std::int64_t outChannels = yt.type.shape.dims[1];
  const std::int64_t outH = spatialDim(yt.type.shape, sr, 0);
  const std::int64_t outW = spatialDim(yt.type.shape, sr, 1);
  const std::int64_t kH = p.kernel[0];
  const std::int64_t kW = p.kernel[1];
  const std::int64_t inPerGroup = channels / p.group;
  const std::int64_t outPerGroup = outChannels / p.group;

  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t m = 0; m < outChannels; ++m) {
      const std::int64_t firstChannel = (m / outPerGroup) * inPerGroup;
      for (std::int64_t oh = 0; oh < outH; ++oh) {
        for (std::int64_t ow = 0; ow < outW; ++ow) {
          double sum = bias ? bias[m] : 0.0;
          for (std::int64_t ci = 0; ci < inPerGroup; ++ci) {
            const std::int64_t c = firstChannel + ci;
            for (std::int64_t kh = 0; kh < kH; ++kh) {
              const std::int64_t ih = oh * p.stride[0] - p.padBegin[0] + kh * p.dilation[0];
              if (ih < 0 || ih >= inH) continue;
              for (std::int64_t kw = 0; kw < kW; ++kw) {
                const std::int64_t iw = ow * p.stride[1] - p.padBegin[1] + kw * p.dilation[1];
                if (iw < 0 || iw >= inW) continue;
                const double xv = x[((n * channels + c) * inH + ih) * inW + iw];
                const double wv = w[((m * inPerGroup + ci) * kH + kh) * kW + kw];
                sum += xv * wv;
              }
            }
          }
          const std::int64_t yi = ((n * outChannels + m) * outH + oh) * outW + ow;
          // Read before the write: correct even if the planner put Y over the residual.
          if (residual) sum += residual[yi];
          y[yi] = applyActivation(p.activation, static_cast<float>(sum));
        }
      }
    }
  }
}

}  // namespace edgert::kernels::ref
