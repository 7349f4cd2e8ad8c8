// ConvTranspose, reference kernel: the gradient of Conv with respect to its input, written
// as a gather: output pixel o receives X[i] * W[k] for every input position i and tap k with
// i * stride - padBegin + k * dilation == o. Weights are (C, M / group, kH, kW) as in ONNX.
// Sums are accumulated in double.
//
// Output size per spatial axis:
//   stride * (in - 1) + outputPadding + ((kernel - 1) * dilation + 1) - padBegin - padEnd.
// outputPadding adds rows/columns past the end that no input reaches (bias only); the compiler
// also uses it for an ONNX output_shape larger than the full output (negative total padding).
// 1-D (spatialRank 1) runs on rank-3 tensors with H = 1; index 0 of the parameter arrays must
// then be neutral.
#include "ref_ops.hpp"

#include "edgert/kernels/activation.hpp"
#include "edgert/kernels/shape_check.hpp"

#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "ConvTranspose";

bool present(std::span<const TensorType> inputs, std::size_t i) {
  return i < inputs.size() && inputs[i].shape.rank != kAbsentRank;
}

Result<void> checkParams(const ConvTransposeParams& p) {
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
    // ONNX limits the output_padding attribute to below stride or dilation, but an
    // output_shape larger than the full output also lands here: any extent is allowed.
    if (p.outputPadding[a] < 0) {
      return makeError(Errc::kCorrupt, "{}: negative output padding {} on spatial axis {}", kOp,
                       p.outputPadding[a], a);
    }
  }
  if (p.spatialRank == 1 && (p.kernel[0] != 1 || p.stride[0] != 1 || p.dilation[0] != 1 ||
                             p.padBegin[0] != 0 || p.padEnd[0] != 0 || p.outputPadding[0] != 0)) {
    return makeError(Errc::kCorrupt,
                     "{}: 1-D conv needs kernel[0] 1, stride[0] 1, dilation[0] 1, pads[0] 0 and "
                     "outputPadding[0] 0, found {}, {}, {}, {}+{}, {}",
                     kOp, p.kernel[0], p.stride[0], p.dilation[0], p.padBegin[0], p.padEnd[0],
                     p.outputPadding[0]);
  }
  if (p.group < 1) return makeError(Errc::kCorrupt, "{}: group {} is below 1", kOp, p.group);
  if (p.hasBias > 1) {
    return makeError(Errc::kCorrupt, "{}: hasBias is {}, expected 0 or 1", kOp, p.hasBias);
  }
  return validateActivation(p.activation, kOp);
}

std::int64_t spatialDim(const Shape& s, std::int32_t spatialRank, int a) {
  if (spatialRank == 1) return a == 0 ? 1 : s.dims[2];
  return s.dims[2 + a];
}

}  // namespace

Result<void> inferConvTranspose(const void* params, std::span<const TensorType> inputs,
                                std::span<TensorType> outputs) {
  EDGERT_TRY(expectArity(inputs, outputs, 2, 3, 1, kOp));
  const auto& p = *static_cast<const ConvTransposeParams*>(params);
  EDGERT_TRY(checkParams(p));
  if ((p.hasBias != 0) != present(inputs, 2)) {
    return makeError(Errc::kCorrupt, "{}: hasBias is {} but the bias input is {}", kOp, p.hasBias,
                     present(inputs, 2) ? "present" : "absent");
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
  if (w.dims[0] != channels) {
    return makeError(Errc::kInvalidArgument, "{}: W {} has {} input channels, X {} has {}", kOp,
                     formatShape(w), w.dims[0], formatShape(x), channels);
  }
  if (channels % p.group != 0) {
    return makeError(Errc::kInvalidArgument, "{}: group {} does not divide {} input channels", kOp,
                     p.group, channels);
  }
  std::int64_t outChannels = 0;
  if (__builtin_mul_overflow(w.dims[1], std::int64_t{p.group}, &outChannels)) {
    return makeError(Errc::kCorrupt, "{}: {} output channels per group times group {} overflows",
                     kOp, w.dims[1], p.group);
  }

  Shape y = x;
  y.dims[1] = outChannels;
  for (int a = 2 - p.spatialRank; a < 2; ++a) {
    const int axis = p.spatialRank == 1 ? 2 : 2 + a;
    if (w.dims[axis] != p.kernel[a]) {
      return makeError(Errc::kInvalidArgument, "{}: W {} does not match kernel size {} on axis {}",
                       kOp, formatShape(w), p.kernel[a], axis);
    }
    if (x.dims[axis] == 0) {
      return makeError(Errc::kInvalidArgument, "{}: X {} is empty on spatial axis {}", kOp,
                       formatShape(x), axis);
    }
    // stride * (in - 1) can exceed int64 for absurd values; the rest cannot.
    std::int64_t full = 0;
    const std::int64_t extent = std::int64_t{p.kernel[a] - 1} * p.dilation[a] + 1;
    if (__builtin_mul_overflow(std::int64_t{p.stride[a]}, x.dims[axis] - 1, &full) ||
        __builtin_add_overflow(full, extent + p.outputPadding[a], &full)) {
      return makeError(Errc::kCorrupt, "{}: output size on axis {} overflows", kOp, axis);
    }
    const std::int64_t out = full - p.padBegin[a] - p.padEnd[a];
    if (out < 1) {
      return makeError(Errc::kInvalidArgument,
                       "{}: pads {}+{} leave no output on axis {} (unpadded size {})", kOp,
                       p.padBegin[a], p.padEnd[a], axis, full);
    }
    y.dims[axis] = out;
  }
  EDGERT_TRY(validateShape(y, kOp));

  if (p.hasBias && !(inputs[2].shape.rank == 1 && inputs[2].shape.dims[0] == outChannels)) {
    return makeError(Errc::kInvalidArgument, "{}: bias {} does not match {} output channels", kOp,
                     formatShape(inputs[2].shape), outChannels);
  }
  outputs[0] = TensorType{DType::kFloat32, y};
  return success();
}

void runConvTranspose(const KernelArgs& args) {
  const auto& p = *static_cast<const ConvTransposeParams*>(args.params);
  const InTensor& xt = args.inputs[0];
  const OutTensor& yt = args.outputs[0];
  const float* x = xt.as<float>();
  const float* w = args.inputs[1].as<float>();
  const float* bias = p.hasBias ? args.inputs[2].as<float>() : nullptr;
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
      const std::int64_t group = m / outPerGroup;
      const std::int64_t mInGroup = m % outPerGroup;
      for (std::int64_t oh = 0; oh < outH; ++oh) {
        for (std::int64_t ow = 0; ow < outW; ++ow) {
          double sum = bias ? bias[m] : 0.0;
          for (std::int64_t ci = 0; ci < inPerGroup; ++ci) {
            const std::int64_t c = group * inPerGroup + ci;
            for (std::int64_t kh = 0; kh < kH; ++kh) {
              // ih * stride == oh + padBegin - kh * dilation, for a whole ih inside X.
              const std::int64_t th = oh + p.padBegin[0] - kh * p.dilation[0];
              if (th < 0 || th % p.stride[0] != 0 || th / p.stride[0] >= inH) continue;
              const std::int64_t ih = th / p.stride[0];
              for (std::int64_t kw = 0; kw < kW; ++kw) {
                const std::int64_t tw = ow + p.padBegin[1] - kw * p.dilation[1];
                if (tw < 0 || tw % p.stride[1] != 0 || tw / p.stride[1] >= inW) continue;
                const std::int64_t iw = tw / p.stride[1];
                const double xv = x[((n * channels + c) * inH + ih) * inW + iw];
                const double wv = w[((c * outPerGroup + mInGroup) * kH + kh) * kW + kw];
                sum += xv * wv;
              }
            }
          }
          y[((n * outChannels + m) * outH + oh) * outW + ow] = applyActivation(p.activation, static_cast<float>(sum));
        }
      }
    }
  }
}

}  // namespace edgert::kernels::ref
