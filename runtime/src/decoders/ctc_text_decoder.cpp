// postprocess.kind = "ocr", its region stage: the recogniser's output (PP-OCR rec: steps x
// classes probabilities) read by CTC greedy decoding with the character dictionary
// (text_recognition.hpp) into the region's text and score. The texts of one frame's regions
// are kept in slots sized at start, one per region, until the next frame begins.
#include <vector>

#include "decoder.hpp"
#include "edgert/runtime/text_recognition.hpp"

namespace edgert::runtime {

namespace {

class CtcTextDecoder final : public Decoder {
 public:
  CtcTextDecoder(CtcDecoder ctc, std::span<const float> probabilities, std::size_t slots, float minScore)
      : ctc_(std::move(ctc)), probabilities_(probabilities), slotBytes_(ctc_.maxLineBytes()),
        text_(slots * slotBytes_), slots_(slots), minScore_(minScore) {}

  void beginFrame() override {
    used_ = 0;
    nonFinite_ = false;
  }

  // Non-finite outputs of any region of the frame count for the frame.
  std::size_t decode(std::span<Detection> out) override {
    nonFinite_ = nonFinite_ || !allFinite(probabilities_);
    if (out.empty() || used_ >= slots_) return 0;
    char* slot = text_.data() + used_ * slotBytes_;
    const CtcLine line = ctc_.decode(probabilities_, {slot, slotBytes_});
    if (line.characters == 0 || !(line.score >= minScore_)) return 0;
    ++used_;
    out[0].text = {slot, line.bytes};
    out[0].score = line.score;
    return 1;
  }
  bool lastOutputsNonFinite() const override { return nonFinite_; }
  std::size_t maxTextBytes() const override { return slotBytes_; }
  std::size_t memoryBytes() const override { return text_.capacity() + ctc_.dictionary().memoryBytes(); }

 private:
  CtcDecoder ctc_;
  std::span<const float> probabilities_;
  std::size_t slotBytes_ = 0;
  std::vector<char> text_;
  std::size_t slots_ = 0;
  std::size_t used_ = 0;
  float minScore_ = 0.5F;
  bool nonFinite_ = false;
};

}  // namespace

Result<std::unique_ptr<Decoder>> makeCtcTextDecoder(const ServiceConfig::Postprocess& config,
                                                    const DecoderInput& input) {
  const Engine& engine = input.engine;
  const Engine::Binding* out = engine.outputs().size() == 1 ? &engine.outputs()[0] : nullptr;
  const kernels::Shape* s = out != nullptr ? &out->type.shape : nullptr;
  if (s == nullptr || out->type.dtype != kernels::DType::kFloat32 || s->rank != 3 || s->dims[0] != 1) {
    return makeError(Errc::kUnsupported,
                     "postprocess.recognizer {}: expected a recogniser with one float32 output of "
                     "1 x steps x classes (CTC probabilities), found {} outputs{}",
                     config.text.recognizerPath, engine.outputs().size(),
                     out != nullptr ? ", " + describeBinding(*out) : std::string());
  }
  Result<CharacterDictionary> dictionary =
      CharacterDictionary::load(config.text.dictionaryPath, config.text.dictionarySha256);
  if (!dictionary) {
    // A dictionary that is not there is the config's fault (exit 78, not restarted), like a
    // model that is not there.
    const Errc code = dictionary.error().code() == Errc::kNotFound ? Errc::kInvalidArgument : dictionary.error().code();
    return makeError(code, "postprocess.dictionary: {}", dictionary.error().message());
  }
  Result<CtcDecoder> ctc =
      CtcDecoder::create(std::move(*dictionary), static_cast<int>(s->dims[1]), static_cast<int>(s->dims[2]));
  if (!ctc) {
    return makeError(ctc.error().code(), "postprocess.recognizer {}: {}", config.text.recognizerPath,
                     ctc.error().message());
  }
  return std::unique_ptr<Decoder>(new CtcTextDecoder(std::move(*ctc), floatValues(*out),
                                                     static_cast<std::size_t>(config.maxDetections),
                                                     config.scoreThreshold));
}

}  // namespace edgert::runtime
