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

// The quad with its corners moved on by `quarters` quarter turns of the patch: one turns a
// top-to-bottom line into one that reads left to right (numpy's rot90 of the crop), two
// turn it upside down.
Quad turnedQuad(const Quad& q, int quarters) {
  Quad r;
  for (std::size_t i = 0; i < 4; ++i) r[i] = q[(i + static_cast<std::size_t>(quarters)) % 4];
  return r;
}

}  // namespace

Result<RegionStage::Input> RegionStage::inputOf(Engine& engine, std::string_view role) {
  if (engine.inputs().size() != 1) {
    return makeError(Errc::kUnsupported, "the {} has {} inputs; expected one image input", role,
                     engine.inputs().size());
  }
  const Engine::Binding& in = engine.inputs()[0];
  const kernels::Shape& s = in.type.shape;
  if (in.type.dtype != kernels::DType::kFloat32 || s.rank != 4 || s.dims[0] != 1 || s.dims[1] != 3) {
    return makeError(Errc::kUnsupported, "the {}'s input {} must be float32 1x3xHxW", role, in.name);
  }
  Input input;
  input.engine = &engine;
  input.height = static_cast<int>(s.dims[2]);
  input.width = static_cast<int>(s.dims[3]);
  input.tensor = {reinterpret_cast<float*>(in.data),
                  3 * static_cast<std::size_t>(input.width) * static_cast<std::size_t>(input.height)};
  return input;
}

Result<RegionStage> RegionStage::create(Engine& engine, std::unique_ptr<Decoder> decoder, const Options& options) {
  RegionStage stage;
  EDGERT_ASSIGN_OR_RETURN(stage.recognizer_, inputOf(engine, "recogniser"));
  if (options.orientation != nullptr) {
    EDGERT_ASSIGN_OR_RETURN(stage.orientation_, inputOf(*options.orientation, "orientation classifier"));
    const Engine& cls = *options.orientation;
    const std::span<const float> scores =
        cls.outputs().size() == 1 ? floatValues(cls.outputs()[0]) : std::span<const float>{};
    if (scores.size() != 2) {
      return makeError(Errc::kUnsupported,
                       "the orientation classifier must have one float32 output of 2 scores "
                       "(0 and 180 degrees)");
    }
    stage.orientationScores_ = scores;
  }
  stage.decoder_ = std::move(decoder);
  stage.options_ = options;
  return stage;
}

void RegionStage::crop(const ImageView& frame, const Quad& quad, const Input& input) {
  const float w = std::max(distance(quad[0], quad[1]), distance(quad[3], quad[2]));
  const float h = std::max(distance(quad[0], quad[3]), distance(quad[1], quad[2]));
  // Height: the input's; width: the region's aspect ratio at that height (PaddleOCR's
  // ceil(H * w / h)), at most the input's.
  const float ratio = h > 0 ? w / h : 1.0F;
  const int width = std::clamp(static_cast<int>(std::ceil(static_cast<float>(input.height) * ratio)), 1, input.width);
  kernels::WarpTarget target;
  target.tensorWidth = input.width;
  target.tensorHeight = input.height;
  target.layout = kernels::TensorLayout::kNchw;
  target.order = options_.order;
  target.mean = options_.mean;
  target.scale = options_.scale;
  target.pad = options_.pad;
  const std::array<std::array<float, 2>, 4> corners{{{quad[0].x, quad[0].y},
                                                      {quad[1].x, quad[1].y},
                                                      {quad[2].x, quad[2].y},
                                                      {quad[3].x, quad[3].y}}};
  kernels::warpQuad(frame, corners, width, input.height, target, input.tensor);
}

std::size_t RegionStage::run(const ImageView& frame, std::span<Detection> regions, std::size_t count) {
  cropMs_ = inferMs_ = 0;
  turned_ = 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count && i < regions.size(); ++i) {
    Detection region = regions[i];
    Quad quad = region.corners;
    const float w = std::max(distance(quad[0], quad[1]), distance(quad[3], quad[2]));
    const float h = std::max(distance(quad[0], quad[3]), distance(quad[1], quad[2]));
    if (h >= options_.tallRatio * w) quad = turnedQuad(quad, 1);
    if (orientation_.engine != nullptr) {
      Clock::time_point t0 = Clock::now();
      crop(frame, quad, orientation_);
      cropMs_ += msSince(t0);
      t0 = Clock::now();
      orientation_.engine->invoke();
      inferMs_ += msSince(t0);
      if (orientationScores_[1] > orientationScores_[0] &&
          orientationScores_[1] >= options_.orientationThreshold) {
        quad = turnedQuad(quad, 2);
        ++turned_;
      }
    }
    Clock::time_point t0 = Clock::now();
    crop(frame, quad, recognizer_);
    cropMs_ += msSince(t0);
    t0 = Clock::now();
    recognizer_.engine->invoke();
    inferMs_ += msSince(t0);
    region.corners = quad;
    if (decoder_->decode({&region, 1}) == 1) regions[kept++] = region;
  }
  return kept;
}

}  // namespace edgert::runtime
