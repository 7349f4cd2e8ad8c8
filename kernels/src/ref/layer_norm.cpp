// LayerNormalization, reference kernel: each row of X's dims [axis, rank) normalized to
// zero mean and unit variance, then scaled and shifted elementwise (scale and B shaped as
// the row, leading 1s allowed, or one value for all): Y = (X - mean) / sqrt(var + epsilon) * scale + B. Sums in
// double. Optional outputs: each row's mean and 1 / sqrt(var + epsilon) (float32, X's shape
// with the row's dims set to 1), as ONNX's stash_type 1.
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "LayerNormalization";

// Whether `t` holds one value per element of the row: its dims, leading 1s dropped, are the
// trailing dims of the row.
bool shapedAsRow(const TensorType& t, const Shape& x, int axis) {
  int lead = 0;
  while (lead < t.shape.rank && t.shape.dims[lead] == 1 && t.shape.rank - lead > x.rank - axis) ++lead;
  if (t.shape.rank - lead > x.rank - axis) return false;
  const int offset = x.rank - (t.shape.rank - lead);
  for (int i = lead; i < t.shape.rank; ++i) {
    if (t.shape.dims[i] != x.dims[offset + i - lead]) return false;
  }
  // Dims of the row that t leaves out must be 1 (t broadcasts over them only if they are).
  for (int i = axis; i < offset; ++i) {
    if (x.dims[i] != 1) return false;
  }
  return true;
}

}  // namespace

Result<void> inferLayerNorm(const void* params, std::span<const TensorType> inputs, std::span<TensorType> outputs) {
  const auto& p = *static_cast<const LayerNormParams*>(params);
  if (!(p.epsilon >= 0.0f) || !std::isfinite(p.epsilon)) {
    return makeError(Errc::kInvalidArgument, "{}: epsilon {} must be finite and not negative", kOp, p.epsilon);
  }
  if (outputs.empty() || outputs.size() > 3) {
    return makeError(Errc::kCorrupt, "{}: {} outputs, expected 1..3", kOp, outputs.size());
  }
  EDGERT_TRY(expectArity(inputs, outputs, 2, 3, static_cast<int>(outputs.size()), kOp));
  const TensorType& x = inputs[0];
  if (x.dtype != DType::kFloat32) {
    return makeError(Errc::kUnsupported, "{}: X is {}, expected float32", kOp, dtypeName(x.dtype));
  }
  if (p.axis < 0 || p.axis >= x.shape.rank) {
    return makeError(Errc::kCorrupt, "{}: axis {} is outside 0..{} for X {}", kOp, p.axis, x.shape.rank - 1,
                     formatShape(x.shape));
  }
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    if (i == 2 && inputs[i].shape.rank == kAbsentRank) continue;  // no B
    if (inputs[i].dtype != DType::kFloat32 ||
        !(inputs[i].shape.numel() == 1 || shapedAsRow(inputs[i], x.shape, p.axis))) {
      return makeError(Errc::kInvalidArgument, "{}: {} is {} {}, expected float32 shaped as X {} from axis {} (or one value)", kOp,
                       i == 1 ? "scale" : "B", dtypeName(inputs[i].dtype), formatShape(inputs[i].shape),
                       formatShape(x.shape), p.axis);
    }
  }
  outputs[0] = x;
  TensorType stats = x;
  for (int i = p.axis; i < x.shape.rank; ++i) stats.shape.dims[i] = 1;
  for (std::size_t i = 1; i < outputs.size(); ++i) outputs[i] = stats;
  return success();
}

void runLayerNorm(const KernelArgs& args) {
  const auto& p = *static_cast<const LayerNormParams*>(args.params);
  const Shape& s = args.inputs[0].type.shape;
  std::int64_t rowLength = 1;
  for (int i = p.axis; i < s.rank; ++i) rowLength *= s.dims[i];
  const std::int64_t rows = rowLength == 0 ? 0 : s.numel() / rowLength;
  const float* x = args.inputs[0].as<float>();
  const float* scale = args.inputs[1].as<float>();
  const float* bias = args.inputs.size() > 2 ? args.inputs[2].as<float>() : nullptr;  // nullptr: absent
  // Step 0: one value for the whole row.
  const std::int64_t scaleStep = args.inputs[1].type.shape.numel() == 1 ? 0 : 1;
  const std::int64_t biasStep = bias != nullptr && args.inputs[2].type.shape.numel() == 1 ? 0 : 1;
  float* y = args.outputs[0].as<float>();
  float* mean = args.outputs.size() > 1 ? args.outputs[1].as<float>() : nullptr;
  float* invStdDev = args.outputs.size() > 2 ? args.outputs[2].as<float>() : nullptr;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * rowLength;
    double sum = 0;
    for (std::int64_t i = 0; i < rowLength; ++i) sum += row[i];
    const double m = sum / static_cast<double>(rowLength);
    double squares = 0;
    for (std::int64_t i = 0; i < rowLength; ++i) squares += (row[i] - m) * (row[i] - m);
    const double inv = 1.0 / std::sqrt(squares / static_cast<double>(rowLength) + p.epsilon);
    float* out = y + r * rowLength;
    for (std::int64_t i = 0; i < rowLength; ++i) {
      const double v = (row[i] - m) * inv * scale[i * scaleStep] + (bias != nullptr ? bias[i * biasStep] : 0.0);
      out[i] = static_cast<float>(v);
    }
    if (mean != nullptr) mean[r] = static_cast<float>(m);
    if (invStdDev != nullptr) invStdDev[r] = static_cast<float>(inv);
  }
}

}  // namespace edgert::kernels::ref
