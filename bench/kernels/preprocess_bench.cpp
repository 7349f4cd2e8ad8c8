// Pre-processing a camera frame into a model input: the reference against the table-driven
// variant, per frame (items/s = frames/s). Typical pipeline shapes: VGA YUYV into
// BlazeFace's 128x128, 720p NV12 into 256x256 letterboxed.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "edgert/kernels/image.hpp"

namespace {

using edgert::ImageView;
using edgert::PixelFormat;
using edgert::kernels::Preprocessor;
using edgert::kernels::PreprocessSpec;
using edgert::kernels::FitMode;

struct Case {
  PixelFormat format;
  int width, height, modelSide;
  FitMode mode;
};
constexpr Case kCases[] = {
    {PixelFormat::kYuyv, 640, 480, 128, FitMode::kStretch},
    {PixelFormat::kNv12, 1280, 720, 256, FitMode::kLetterbox},
    {PixelFormat::kRgb24, 512, 512, 128, FitMode::kStretch},
};

void run(benchmark::State& state, bool reference) {
  const Case& c = kCases[state.range(0)];
  std::vector<std::uint8_t> bytes(edgert::packedImageBytes(c.format, c.width, c.height));
  std::mt19937 rng(1);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  ImageView view{c.format, c.width, c.height, {bytes.data(), nullptr},
                 {edgert::packedStride(c.format, c.width), 0}};
  if (c.format == PixelFormat::kNv12) {
    view.planes[1] = bytes.data() + static_cast<std::size_t>(c.width) * c.height;
    view.strides[1] = static_cast<std::size_t>(c.width);
  }
  PreprocessSpec spec;
  spec.width = spec.height = c.modelSide;
  spec.resize = c.mode;
  auto p = Preprocessor::create(c.format, c.width, c.height, spec);
  if (!p) {
    state.SkipWithError(p.error().message().c_str());
    return;
  }
  std::vector<float> out(p->outputFloats());
  for (auto _ : state) {
    if (reference) p->runReference(view, out); else p->run(view, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(edgert::pixelFormatName(c.format)) + " " + std::to_string(c.width) +
                 "x" + std::to_string(c.height) + " -> " + std::to_string(c.modelSide));
}

void BM_PreprocessReference(benchmark::State& state) { run(state, true); }
void BM_PreprocessFast(benchmark::State& state) { run(state, false); }
BENCHMARK(BM_PreprocessReference)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PreprocessFast)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

}  // namespace
