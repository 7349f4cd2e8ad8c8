// Pre-processing: a camera frame (YUYV, NV12, GREY or RGB24 at any size) to a model's
// float32 input (NCHW or NHWC) with 3 channels in RGB or BGR order: bilinear resize by stretching,
// letterboxing or centre-cropping, then (pixel - mean) * scale per channel.
//
// Colour: YUYV and NV12 are BT.601 limited range (what UVC cameras and vivid deliver),
// converted per source pixel to 8-bit RGB (integer coefficients) with chroma taken from its
// 2x1 / 2x2 block; GREY is full-range
// luma copied to all three channels. Geometry: pixel centres are aligned (a source
// coordinate is (x + 0.5) * step - 0.5, clamped at the edges).
//
// Two variants: runReference() computes every output pixel from its four source pixels
// (plain, obviously correct); run() uses per-column and per-row tables made in create() and
// resamples each source row once. Both take their memory from the Preprocessor, which
// allocates it in create() and never again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "edgert/base/image.hpp"
#include "edgert/base/result.hpp"

namespace edgert::kernels {

enum class FitMode : std::uint8_t {
  kStretch,    // fill the input, aspect ratio not kept
  kLetterbox,  // fit inside, centred, borders set to `fill`
  kCrop,       // cover the input, centred, the overflow cut off
};
enum class ChannelOrder : std::uint8_t { kRgb, kBgr };
enum class TensorLayout : std::uint8_t { kNchw, kNhwc };

struct PreprocessSpec {
  int width = 0;   // the model input's
  int height = 0;
  FitMode resize = FitMode::kStretch;
  ChannelOrder order = ChannelOrder::kRgb;
  TensorLayout layout = TensorLayout::kNchw;  // planes (PyTorch exports) or interleaved (TF)
  // Per output channel, in 0..255 pixel units: out = (pixel - mean) * scale.
  std::array<float, 3> mean{0.0F, 0.0F, 0.0F};
  std::array<float, 3> scale{1.0F / 255.0F, 1.0F / 255.0F, 1.0F / 255.0F};
  float fill = 0.0F;  // letterbox borders, in pixel units before normalisation
};

// Where a point of the model input lies in the source image (continuous pixel
// coordinates): source = model * scale + offset, per axis. Post-processing uses it to report
// boxes in source pixels.
struct ImageMapping {
  float scaleX = 1, offsetX = 0;
  float scaleY = 1, offsetY = 0;
  float toSourceX(float x) const { return x * scaleX + offsetX; }
  float toSourceY(float y) const { return y * scaleY + offsetY; }
};

class Preprocessor {
 public:
  // Checks the formats and sizes and allocates the tables and row buffers.
  static Result<Preprocessor> create(PixelFormat source, int sourceWidth, int sourceHeight,
                                     const PreprocessSpec& spec);

  const ImageMapping& mapping() const { return mapping_; }
  const PreprocessSpec& spec() const { return spec_; }
  // Floats of the output: 3 x height x width.
  std::size_t outputFloats() const;
  // Heap bytes the Preprocessor holds (tables and row buffers), for the memory budget.
  std::size_t memoryBytes() const;

  // `image` must have the format and size given to create(); `out` outputFloats() floats.
  void runReference(const ImageView& image, std::span<float> out) const;
  void run(const ImageView& image, std::span<float> out);

 private:
  Preprocessor() = default;

  // The axis tables: output index -> two source indices and the weight of the second.
  struct Tap {
    std::int32_t i0 = 0;
    std::int32_t i1 = 0;
    float w = 0;
  };

  void resampleRow(const ImageView& image, int sourceRow, float* rgbOut) const;

  PixelFormat source_ = PixelFormat::kRgb24;
  int sourceWidth_ = 0;
  int sourceHeight_ = 0;
  PreprocessSpec spec_;
  ImageMapping mapping_;
  // The part of the output the image covers (the rest is letterbox border).
  int x0_ = 0, x1_ = 0, y0_ = 0, y1_ = 0;
  // source = (out + 0.5) * step + start - 0.5 inside the covered part.
  double stepX_ = 1, startX_ = 0, stepY_ = 1, startY_ = 0;
  std::vector<Tap> xTaps_;  // per covered output column
  std::vector<Tap> yTaps_;  // per covered output row
  std::vector<float> rows_;  // two horizontally resampled source rows, RGB interleaved
  std::array<int, 2> cachedRow_{-1, -1};
};

}  // namespace edgert::kernels
