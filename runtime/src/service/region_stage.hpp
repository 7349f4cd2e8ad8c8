// The second stage of a multi-model pipeline: every region the first stage found is cropped
// from the frame and straightened (a perspective warp of its four corners to the stage
// engine's input height, aspect ratio kept, padded to its width), optionally turned the
// right way up by an orientation classifier, run through the stage's engine and completed by
// its region decoder (the text of a line, its score). Regions the decoder does not read are
// dropped. Everything is sized in create(); run() allocates nothing.
//
// The engines here share the first stage's arena (EngineSet): the first stage's outputs are
// decoded before this stage runs, and each region is decoded before the next is cropped.
#pragma once

#include <memory>
#include <span>

#include "edgert/base/image.hpp"
#include "edgert/kernels/warp.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/postprocess.hpp"
#include "../decoders/decoder.hpp"

namespace edgert::runtime {

class RegionStage {
 public:
  struct Options {
    // PP-OCR's text line pre-processing: BGR, (pixel - 127.5) / 127.5, padded with 0.
    kernels::ChannelOrder order = kernels::ChannelOrder::kBgr;
    std::array<float, 3> mean{127.5F, 127.5F, 127.5F};
    std::array<float, 3> scale{1 / 127.5F, 1 / 127.5F, 1 / 127.5F};
    float pad = 0.0F;
    // A region at least this much taller than wide reads top to bottom: it is turned a
    // quarter (PaddleOCR's 1.5).
    float tallRatio = 1.5F;
    Engine* orientation = nullptr;    // 2 classes (0 and 180 degrees), or nullptr
    float orientationThreshold = 0.9F;
  };

  // `engine`: the recogniser (one float32 input 1x3xHxW); `decoder` reads its output.
  static Result<RegionStage> create(Engine& engine, std::unique_ptr<Decoder> decoder, const Options& options);

  // Crops each of regions[0..count) (source pixels; corners set) from `frame`, reads it and
  // keeps the ones read, in order, at the front of `regions`. Returns how many. Starts the
  // region decoder's frame first (the texts of the last run() are then gone).
  std::size_t run(const ImageView& frame, std::span<Detection> regions, std::size_t count);

  Decoder& decoder() { return *decoder_; }
  // Whether the last run() saw NaN or infinity in the orientation classifier's or the
  // recogniser's outputs (any region).
  bool lastOutputsNonFinite() const { return orientationNonFinite_ || decoder_->lastOutputsNonFinite(); }
  // Of the last run(): milliseconds spent cropping, in the engines, decoding; lines turned.
  double cropMs() const { return cropMs_; }
  double inferMs() const { return inferMs_; }  // the orientation classifier's and recogniser's
  int turned() const { return turned_; }

 private:
  // An engine whose one input is an image tensor (1x3xHxW float32).
  struct ImageInput {
    Engine* engine = nullptr;
    std::span<float> tensor;
    int width = 0;
    int height = 0;
    kernels::WarpTarget target;  // the tensor and its normalisation, for every crop into it
  };
  static Result<ImageInput> inputOf(Engine& engine, std::string_view role, const Options& options);
  void crop(const ImageView& frame, const Quad& quad, const ImageInput& input);
  // The crop into the input's engine, then the engine, each timed.
  void cropAndInvoke(const ImageView& frame, const Quad& quad, const ImageInput& input);

  ImageInput recognizer_;
  ImageInput orientation_;
  std::span<const float> orientationScores_;
  std::unique_ptr<Decoder> decoder_;
  Options options_;
  double cropMs_ = 0;
  double inferMs_ = 0;
  int turned_ = 0;
  bool orientationNonFinite_ = false;
};

}  // namespace edgert::runtime
