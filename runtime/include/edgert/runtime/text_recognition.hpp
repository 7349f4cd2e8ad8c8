// Reading a text line: CTC greedy decoding of a recogniser's output (PP-OCR's rec models:
// one probability row per time step over blank + the dictionary's characters + space) with
// the character dictionary the model was trained with (ppocr_keys_v1.txt for PP-OCRv4 rec).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgert/base/result.hpp"

namespace edgert::runtime {

// The classes of a CTC recogniser: class 0 is the blank, class k (1..entries) is line k of
// the dictionary file (UTF-8, one character or string per line), and the class after the
// last line is a space (PaddleOCR's use_space_char, which its rec models are trained with).
class CharacterDictionary {
 public:
  // Reads `path`; with `sha256Hex` (64 hex digits) the file must have that digest. Errors
  // name the file and the line (an empty line, a line that is not UTF-8).
  static Result<CharacterDictionary> load(const std::string& path, std::string_view sha256Hex = {});
  // The same for text in memory; `sourceName` names it in messages.
  static Result<CharacterDictionary> fromText(std::string_view text, std::string_view sourceName);

  // Blank + entries + space.
  std::size_t classes() const { return offsets_.size() + 1; }
  // The UTF-8 of class `c` (empty for the blank and out-of-range classes).
  std::string_view text(std::size_t c) const;
  std::size_t maxEntryBytes() const { return maxEntryBytes_; }
  const std::string& sourceName() const { return sourceName_; }
  std::size_t memoryBytes() const { return chars_.capacity() + offsets_.capacity() * sizeof(Span); }

 private:
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };
  std::string sourceName_;
  std::string chars_;          // every entry back to back, then " "
  std::vector<Span> offsets_;  // per class 1..entries+1 (the space last)
  std::size_t maxEntryBytes_ = 1;
};

struct CtcLine {
  std::size_t bytes = 0;  // of UTF-8 written to the caller's buffer
  float score = 0;        // mean probability of the steps that gave a character; 0 if none
  int characters = 0;
};

class CtcDecoder {
 public:
  // For a model output of `steps` x `classes` probabilities; `classes` must be the
  // dictionary's (the error says both counts and which file).
  static Result<CtcDecoder> create(CharacterDictionary dictionary, int steps, int classes);

  int steps() const { return steps_; }
  int classes() const { return classes_; }
  // The most UTF-8 one line can take: steps x the longest entry.
  std::size_t maxLineBytes() const;
  const CharacterDictionary& dictionary() const { return dictionary_; }

  // Greedy decoding: each step's most probable class (the first on ties; NaN never wins),
  // repeats merged, blanks dropped; the text into `text` (maxLineBytes() bytes are always
  // enough; a smaller buffer ends the line at the last whole character that fits).
  // Leading and trailing spaces are dropped. Allocates nothing.
  CtcLine decode(std::span<const float> probabilities, std::span<char> text) const;

 private:
  CtcDecoder() = default;
  CharacterDictionary dictionary_;
  int steps_ = 0;
  int classes_ = 0;
};

}  // namespace edgert::runtime
