// NonMaxSuppression, reference kernel (kernels/ops.hpp says what it computes). The scratch
// holds one class's candidate order and its kept boxes (2 x N int64); the sort is in place
// (std::sort with the index as tie-break: deterministic, no allocation).
#include "ref_ops.hpp"

#include "edgert/kernels/shape_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgert::kernels::ref {
namespace {

constexpr std::string_view kOp = "NonMaxSuppression";

struct Box {
  float y1, x1, y2, x2;
};

Box boxAt(const float* b, bool center) {
  if (center) return Box{b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2};
  return Box{std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

// Intersection over union; 0 when either box has no area.
float iou(const Box& a, const Box& b) {
  const float areaA = (a.y2 - a.y1) * (a.x2 - a.x1);
  const float areaB = (b.y2 - b.y1) * (b.x2 - b.x1);
  if (!(areaA > 0.0f) || !(areaB > 0.0f)) return 0.0f;
  const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float inter = h * w;
  return inter / (areaA + areaB - inter);
}

std::int64_t boundOf(const NmsParams& p, const Shape& scores) {
  return scores.dims[0] * scores.dims[1] * std::min(p.maxPerClass, scores.dims[2]);
}

}  // namespace

Result<void> inferNonMaxSuppression(const void* params, std::span<const TensorType> inputs,
                                    std::span<TensorType> outputs) {
  const auto& p = *static_cast<const NmsParams*>(params);
  if (p.centerPointBox > 1 || p.hasScoreThreshold > 1) {
    return makeError(Errc::kCorrupt, "{}: center_point_box {} or score flag {} out of range", kOp, p.centerPointBox,
                     p.hasScoreThreshold);
  }
  for (std::uint8_t r : p.reserved) {
    if (r != 0) return makeError(Errc::kCorrupt, "{}: reserved parameter bytes are not zero", kOp);
  }
  if (p.maxPerClass < 0 || !(p.iouThreshold >= 0.0f && p.iouThreshold <= 1.0f) || !std::isfinite(p.scoreThreshold)) {
    return makeError(Errc::kInvalidArgument, "{}: max boxes {}, IoU threshold {} or score threshold {} out of range",
                     kOp, p.maxPerClass, p.iouThreshold, p.scoreThreshold);
  }
  EDGERT_TRY(expectArity(inputs, outputs, 2, 2, 2, kOp));
  const TensorType& boxes = inputs[0];
  const TensorType& scores = inputs[1];
  if (boxes.dtype != DType::kFloat32 || scores.dtype != DType::kFloat32 || boxes.shape.rank != 3 ||
      scores.shape.rank != 3 || boxes.shape.dims[2] != 4 || boxes.shape.dims[0] != scores.shape.dims[0] ||
      boxes.shape.dims[1] != scores.shape.dims[2]) {
    return makeError(Errc::kInvalidArgument, "{}: boxes {} and scores {} are not float32 B x N x 4 and B x C x N", kOp,
                     formatShape(boxes.shape), formatShape(scores.shape));
  }
  Shape selected = Shape::of({boundOf(p, scores.shape), 3});
  EDGERT_TRY(validateShape(selected, kOp));
  outputs[0] = TensorType{DType::kInt64, selected};
  outputs[1] = TensorType{DType::kInt64, Shape::of({1})};
  return success();
}

std::uint64_t nonMaxSuppressionScratch(const void*, std::span<const TensorType> inputs, std::span<const TensorType>) {
  return static_cast<std::uint64_t>(inputs[1].shape.dims[2]) * 2 * sizeof(std::int64_t);
}

void runNonMaxSuppression(const KernelArgs& args) {
  const auto& p = *static_cast<const NmsParams*>(args.params);
  const Shape& ss = args.inputs[1].type.shape;
  const std::int64_t batches = ss.dims[0], classes = ss.dims[1], n = ss.dims[2];
  const float* boxes = args.inputs[0].as<float>();
  const float* scores = args.inputs[1].as<float>();
  auto* selected = args.outputs[0].as<std::int64_t>();
  auto* count = args.outputs[1].as<std::int64_t>();
  auto* order = reinterpret_cast<std::int64_t*>(args.scratch.data());
  std::int64_t* kept = order + n;
  const std::int64_t bound = args.outputs[0].type.shape.dims[0];
  const bool center = p.centerPointBox != 0;
  std::int64_t rows = 0;
  for (std::int64_t b = 0; b < batches; ++b) {
    const float* bb = boxes + b * n * 4;
    for (std::int64_t c = 0; c < classes; ++c) {
      const float* s = scores + (b * classes + c) * n;
      std::int64_t candidates = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        if (p.hasScoreThreshold == 0 || s[i] > p.scoreThreshold) order[candidates++] = i;
      }
      std::sort(order, order + candidates, [s](std::int64_t x, std::int64_t y) {
        return s[x] > s[y] || (!(s[y] > s[x]) && x < y);
      });
      std::int64_t keptCount = 0;
      for (std::int64_t k = 0; k < candidates && keptCount < p.maxPerClass; ++k) {
        const Box box = boxAt(bb + order[k] * 4, center);
        bool keep = true;
        for (std::int64_t j = 0; j < keptCount && keep; ++j) {
          keep = !(iou(box, boxAt(bb + kept[j] * 4, center)) > p.iouThreshold);
        }
        if (!keep) continue;
        kept[keptCount++] = order[k];
        selected[rows * 3 + 0] = b;
        selected[rows * 3 + 1] = c;
        selected[rows * 3 + 2] = order[k];
        ++rows;
      }
    }
  }
  for (std::int64_t r = rows; r < bound; ++r) selected[r * 3] = selected[r * 3 + 1] = selected[r * 3 + 2] = -1;
  count[0] = rows;
}

}  // namespace edgert::kernels::ref
