// Decoders: what turns an engine's raw outputs into results, one kind per file, all behind
// this one interface. A decoder is bound to its engine's output tensors once, in its make
// function (the tensors are found by shape and checked; the error says what the model lacks),
// and sized there; decode() then runs on every frame and allocates nothing.
//
// Two uses, one interface:
//   - a frame decoder reads the engine that saw the whole frame and writes detections (in
//     model-input pixels) into `out`: BlazeFace, top-k classes, DB text regions;
//   - a region decoder reads the engine that saw one region cropped from the frame and
//     completes out[0], the region's detection (CTC: its text and score); it returns 1 when
//     it read something, 0 when the region is to be dropped.
//
// Adding a kind: its file here (a make function), its line in decoder.cpp's
// makeFrameDecoder, its PostprocessKind and config keys (service_config.cpp, documented in
// systemd/README.md), and a test. The service loop does not change.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "edgert/base/result.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/postprocess.hpp"
#include "edgert/runtime/service_config.hpp"

namespace edgert::runtime {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // At the start of each frame, before any decode(): a decoder that keeps per-frame storage
  // (the text of the lines read) starts it again.
  virtual void beginFrame() {}
  // The engine's latest outputs into `out`; returns how many detections were written (frame
  // decoders) or 1 / 0 (region decoders, see above). Allocates nothing.
  virtual std::size_t decode(std::span<Detection> out) = 0;
  // Whether the last decode() saw NaN or infinity in the outputs it reads (a fault if it
  // persists: the service counts such frames).
  virtual bool lastOutputsNonFinite() const = 0;
  // Heap bytes held, for the memory plan.
  virtual std::size_t memoryBytes() const = 0;
  // The most bytes of text one detection can carry (the output line is sized for it).
  virtual std::size_t maxTextBytes() const { return 0; }
};

// The engine a decoder reads and the size of its input (pixels), for the checks.
struct DecoderInput {
  const Engine& engine;
  int inputWidth = 0;
  int inputHeight = 0;
};

// The frame decoder of postprocess.kind; nullptr for "none". Errors start with the key.
Result<std::unique_ptr<Decoder>> makeFrameDecoder(const ServiceConfig::Postprocess& config,
                                                  const DecoderInput& input);

// The kinds, one file each.
Result<std::unique_ptr<Decoder>> makeBlazeFaceDecoder(const ServiceConfig::Postprocess& config,
                                                      const DecoderInput& input);
Result<std::unique_ptr<Decoder>> makeTopKDecoder(const ServiceConfig::Postprocess& config,
                                                 const DecoderInput& input);
Result<std::unique_ptr<Decoder>> makeDbTextDecoder(const ServiceConfig::Postprocess& config,
                                                   const DecoderInput& input);
// The recogniser's CTC decoder: texts for up to config.maxDetections regions per frame.
Result<std::unique_ptr<Decoder>> makeCtcTextDecoder(const ServiceConfig::Postprocess& config,
                                                    const DecoderInput& input);

// Helpers for the kinds: a float32 output's values; whether all are finite; "name (float32
// 1x40x6625)" for messages.
std::span<const float> floatValues(const Engine::Binding& binding);
bool allFinite(std::span<const float> values);
std::string describeBinding(const Engine::Binding& binding);

}  // namespace edgert::runtime
