// The character dictionary and CTC greedy decoding (text_recognition.hpp).
#include <cmath>
#include <fstream>
#include <sstream>

#include "edgert/runtime/text_recognition.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::runtime {

namespace {

// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) extra = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) extra = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) extra = 3, cp = c & 0x07;
    else return false;
    if (static_cast<std::size_t>(extra) >= s.size() - i) return false;  // cut short
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t least = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
    if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

}  // namespace

Result<CharacterDictionary> CharacterDictionary::load(const std::string& path, std::string_view sha256Hex) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(Errc::kNotFound, "{}: cannot open the character dictionary", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return makeError(Errc::kIo, "{}: cannot read the character dictionary", path);
  const std::string bytes = std::move(text).str();
  if (!sha256Hex.empty()) {
    update::Digest want{};
    if (!update::parseDigest(sha256Hex, want)) {
      return makeError(Errc::kInvalidArgument, "{}: the pinned sha256 \"{}\" is not 64 hex digits", path,
                       sha256Hex);
    }
    if (Result<void> crypto = update::openCrypto(); !crypto) {
      return makeError(crypto.error().code(), "{}: checking the pinned sha256: {}", path, crypto.error().message());
    }
    const update::Digest got =
        update::sha256Of({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()});
    if (got != want) {
      return makeError(Errc::kCorrupt, "{}: sha256 {} where {} was pinned (a different or damaged dictionary)",
                       path, update::toHex(got), update::toHex(want));
    }
  }
  return fromText(bytes, path);
}

Result<CharacterDictionary> CharacterDictionary::fromText(std::string_view text, std::string_view sourceName) {
  CharacterDictionary d;
  d.sourceName_ = std::string(sourceName);
  std::size_t line = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view entry = text.substr(at, end - at);
    at = end + 1;
    ++line;
    if (!entry.empty() && entry.back() == '\r') entry.remove_suffix(1);
    if (entry.empty()) {
      return makeError(Errc::kInvalidArgument, "{}:{}: an empty line (every line is one class of the recogniser)",
                       sourceName, line);
    }
    if (!validUtf8(entry)) {
      return makeError(Errc::kInvalidArgument, "{}:{}: not UTF-8", sourceName, line);
    }
    if (d.chars_.size() + entry.size() > std::size_t{1} << 30 || line > (std::size_t{1} << 24)) {
      return makeError(Errc::kInvalidArgument, "{}: too large for a character dictionary", sourceName);
    }
    d.offsets_.push_back({static_cast<std::uint32_t>(d.chars_.size()), static_cast<std::uint32_t>(entry.size())});
    d.chars_.append(entry);
    d.maxEntryBytes_ = std::max(d.maxEntryBytes_, entry.size());
  }
  if (d.offsets_.empty()) return makeError(Errc::kInvalidArgument, "{}: the character dictionary is empty", sourceName);
  d.offsets_.push_back({static_cast<std::uint32_t>(d.chars_.size()), 1});
  d.chars_.push_back(' ');
  return d;
}

std::string_view CharacterDictionary::text(std::size_t c) const {
  if (c == 0 || c > offsets_.size()) return {};
  const Span& s = offsets_[c - 1];
  return std::string_view(chars_).substr(s.offset, s.size);
}

Result<CtcDecoder> CtcDecoder::create(CharacterDictionary dictionary, int steps, int classes) {
  if (steps < 1 || classes < 2) {
    return makeError(Errc::kInvalidArgument, "a CTC output of {} steps x {} classes: expected at least 1 x 2",
                     steps, classes);
  }
  if (static_cast<std::size_t>(classes) != dictionary.classes()) {
    return makeError(Errc::kInvalidArgument,
                     "the recogniser gives {} classes per step; the dictionary {} makes {} (blank, {} "
                     "lines, space): not the dictionary this model was trained with",
                     classes, dictionary.sourceName(), dictionary.classes(), dictionary.classes() - 2);
  }
  CtcDecoder d;
  d.dictionary_ = std::move(dictionary);
  d.steps_ = steps;
  d.classes_ = classes;
  return d;
}

std::size_t CtcDecoder::maxLineBytes() const {
  return static_cast<std::size_t>(steps_) * dictionary_.maxEntryBytes();
}

CtcLine CtcDecoder::decode(std::span<const float> probabilities, std::span<char> text) const {
  CtcLine line;
  const auto classes = static_cast<std::size_t>(classes_);
  if (probabilities.size() < static_cast<std::size_t>(steps_) * classes) return line;
  std::size_t previous = 0;
  double sum = 0;
  // The line up to its last character that is not a space: trailing spaces are dropped.
  CtcLine kept;
  double keptSum = 0;
  for (int t = 0; t < steps_; ++t) {
    const float* row = probabilities.data() + static_cast<std::size_t>(t) * classes;
    std::size_t best = 0;
    float bestP = std::isnan(row[0]) ? -INFINITY : row[0];
    for (std::size_t c = 1; c < classes; ++c) {
      if (row[c] > bestP) {
        bestP = row[c];
        best = c;
      }
    }
    const bool repeat = best == previous;
    previous = best;
    if (best == 0 || repeat) continue;
    const std::string_view piece = dictionary_.text(best);
    const bool space = piece == " ";
    if (space && line.bytes == 0) continue;  // no leading spaces
    if (line.bytes + piece.size() > text.size()) break;
    piece.copy(text.data() + line.bytes, piece.size());
    line.bytes += piece.size();
    sum += static_cast<double>(bestP);
    ++line.characters;
    if (!space) {
      kept = line;
      keptSum = sum;
    }
  }
  line = kept;
  line.score = line.characters > 0 ? static_cast<float>(keptSum / line.characters) : 0.0F;
  return line;
}

}  // namespace edgert::runtime
