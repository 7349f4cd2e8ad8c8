#include "region_stage.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace edgert::runtime {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

float distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// A quad's width (the longer of its top and bottom edges) and height (of its sides).
struct Sides {
  float width;
  float height;
};
Sides sidesOf(const Quad& q) {
  return {std::max(distance(q[0], q[1]), distance(q[3], q[2])), std::max(distance(q[0], q[3]), distance(q[1], q[2]))};
}

// The quad with its corners moved on by `quarters` quarter turns of the patch: one turns a
// top-to-bottom line into one that reads left to right (numpy's rot90 of the crop), two
// turn it upside down.
Quad turnedQuad(const Quad& q, int quarters) {
  Quad r;
  for (std::size_t i = 0; i < 4; ++i) r[i] = q[(i + static_cast<std::size_t>(quarters)) % 4];
  return r;
}

}  // namespace

Result<RegionStage::ImageInput> RegionStage::inputOf(Engine& engine, std::string_view role,
                                                     const Options& options) {
  if (engine.inputs().size() != 1) {
    return makeError(Errc::kUnsupported, "{} {}: {} inputs; expected one image input", role,
                     engine.sourceName(), engine.inputs().size());
  }
  const Engine::Binding& in = engine.inputs()[0];
  const kernels::Shape& s = in.type.shape;
  if (in.type.dtype != kernels::DType::kFloat32 || s.rank != 4 || s.dims[0] != 1 || s.dims[1] != 3) {
    return makeError(Errc::kUnsupported, "{} {}: input {} must be float32 1x3xHxW", role,
                     engine.sourceName(), describeBinding(in));
  }
  ImageInput input;
  input.engine = &engine;
  input.height = static_cast<int>(s.dims[2]);
  input.width = static_cast<int>(s.dims[3]);
  input.tensor = {reinterpret_cast<float*>(in.data),
                  3 * static_cast<std::size_t>(input.width) * static_cast<std::size_t>(input.height)};
  input.target.tensorWidth = input.width;
  input.target.tensorHeight = input.height;
  input.target.layout = kernels::TensorLayout::kNchw;
  input.target.order = options.order;
  input.target.mean = options.mean;
  input.target.scale = options.scale;
  input.target.pad = options.pad;
  return input;
}

Result<RegionStage> RegionStage::create(Engine& engine, std::unique_ptr<Decoder> decoder, const Options& options) {
  RegionStage stage;
  EDGERT_ASSIGN_OR_RETURN(stage.recognizer_, inputOf(engine, "postprocess.recognizer", options));
  if (options.orientation != nullptr) {
    EDGERT_ASSIGN_OR_RETURN(stage.orientation_, inputOf(*options.orientation, "postprocess.orientation", options));
    const Engine& cls = *options.orientation;
    const std::span<const float> scores =
        cls.outputs().size() == 1 ? floatValues(cls.outputs()[0]) : std::span<const float>{};
    if (scores.size() != 2) {
      std::string found;
      for (const Engine::Binding& b : cls.outputs()) found += (found.empty() ? "" : ", ") + describeBinding(b);
      return makeError(Errc::kUnsupported,
                       "postprocess.orientation {}: expected one float32 output of 2 scores (0 and 180 "
                       "degrees), found {}",
                       cls.sourceName(), found);
    }
    stage.orientationScores_ = scores;
  }
  stage.decoder_ = std::move(decoder);
  stage.options_ = options;
  return stage;
}

void RegionStage::crop(const ImageView& frame, const Quad& quad, const ImageInput& input) {
  const auto [w, h] = sidesOf(quad);
  // Height: the input's; width: the region's aspect ratio at that height (PaddleOCR's
  // ceil(H * w / h)), at most the input's.
  // Clamped as a float first: a degenerate quad (NaN, zero height) must not reach the cast.
  const float wanted = static_cast<float>(input.height) * (h > 0 ? w / h : 1.0F);
  const int width = std::isnan(wanted) ? 1
                                       : static_cast<int>(std::ceil(std::clamp(wanted, 1.0F, static_cast<float>(input.width))));
  const std::array<std::array<float, 2>, 4> corners{{{quad[0].x, quad[0].y},
                                                      {quad[1].x, quad[1].y},
                                                      {quad[2].x, quad[2].y},
                                                      {quad[3].x, quad[3].y}}};
  kernels::warpQuad(frame, corners, width, input.height, input.target, input.tensor);
}

void RegionStage::cropAndInvoke(const ImageView& frame, const Quad& quad, const ImageInput& input) {
  Clock::time_point t0 = Clock::now();
  crop(frame, quad, input);
  cropMs_ += msSince(t0);
  t0 = Clock::now();
  input.engine->invoke();
  inferMs_ += msSince(t0);
}

std::size_t RegionStage::run(const ImageView& frame, std::span<Detection> regions, std::size_t count) {
  cropMs_ = inferMs_ = 0;
  turned_ = 0;
  orientationNonFinite_ = false;
  decoder_->beginFrame();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count && i < regions.size(); ++i) {
    Detection region = regions[i];
    Quad quad = region.corners;
    const auto [w, h] = sidesOf(quad);
    if (h >= options_.tallRatio * w) quad = turnedQuad(quad, 1);
    if (orientation_.engine != nullptr) {
      cropAndInvoke(frame, quad, orientation_);
      orientationNonFinite_ = orientationNonFinite_ || !allFinite(orientationScores_);
      if (orientationScores_[1] > orientationScores_[0] &&
          orientationScores_[1] >= options_.orientationThreshold) {
        quad = turnedQuad(quad, 2);
        ++turned_;
      }
    }
    cropAndInvoke(frame, quad, recognizer_);
    region.corners = quad;
    if (decoder_->decode({&region, 1}) == 1) regions[kept++] = region;
  }
  return kept;
}

}  // namespace edgert::runtime
