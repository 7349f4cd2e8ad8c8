// The character dictionary and CTC greedy decoding (text_recognition.hpp).
#include "edgert/runtime/text_recognition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace edgert::runtime {
namespace {

// Probabilities for a sequence of winning classes: each step's winner gets `p`, the rest
// share what is left.
std::vector<float> steps(const std::vector<int>& winners, int classes, float p = 0.9F) {
  std::vector<float> out;
  for (int w : winners) {
    for (int c = 0; c < classes; ++c) {
      out.push_back(c == w ? p : (1.0F - p) / static_cast<float>(classes - 1));
    }
  }
  return out;
}

CtcDecoder decoderFor(std::string_view dictionary, int stepCount) {
  Result<CharacterDictionary> d = CharacterDictionary::fromText(dictionary, "test.txt");
  EXPECT_TRUE(d) << d.error().message();
  const auto classes = static_cast<int>(d->classes());
  Result<CtcDecoder> ctc = CtcDecoder::create(std::move(*d), stepCount, classes);
  EXPECT_TRUE(ctc) << ctc.error().message();
  return std::move(*ctc);
}

std::string read(const CtcDecoder& ctc, const std::vector<float>& probabilities, CtcLine* line = nullptr) {
  std::string text(ctc.maxLineBytes(), '\0');
  const CtcLine l = ctc.decode(probabilities, text);
  if (line != nullptr) *line = l;
  return text.substr(0, l.bytes);
}

TEST(CharacterDictionary, ClassesAreBlankThenLinesThenSpace) {
  Result<CharacterDictionary> d = CharacterDictionary::fromText("a\nb\r\n\xE4\xB8\xAD\n", "keys.txt");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->classes(), 5U);
  EXPECT_EQ(d->text(0), "");
  EXPECT_EQ(d->text(1), "a");
  EXPECT_EQ(d->text(2), "b");  // CR LF line ends too
  EXPECT_EQ(d->text(3), "\xE4\xB8\xAD");
  EXPECT_EQ(d->text(4), " ");
  EXPECT_EQ(d->text(5), "");
  EXPECT_EQ(d->maxEntryBytes(), 3U);
}

TEST(CharacterDictionary, RefusesEmptyLinesBadUtf8AndNothing) {
  Result<CharacterDictionary> empty = CharacterDictionary::fromText("a\n\nb\n", "keys.txt");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("keys.txt:2"), std::string::npos) << empty.error().message();
  Result<CharacterDictionary> bad = CharacterDictionary::fromText("a\n\xC3\n", "keys.txt");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("keys.txt:2: not UTF-8"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(CharacterDictionary::fromText("a\n\xE4\xB8\n", "keys.txt"));  // cut short
  EXPECT_FALSE(CharacterDictionary::fromText("\xED\xA0\x80\n", "keys.txt"));  // a surrogate
  EXPECT_FALSE(CharacterDictionary::fromText("", "keys.txt"));
}

TEST(CharacterDictionary, LoadChecksThePinnedSha256) {
  const std::string path = ::testing::TempDir() + "ctc_keys.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "a\nb\n";
  }
  // Not the sha256 of "a\nb\n", then the right one.
  const std::string sum = "c1fb7e2fb3e5ac0f3b7e1e3fd3d6e9e2f1e8b4b1a6b2a7fbb2c6e0b9a5d1b2a3";
  Result<CharacterDictionary> pinned =
      CharacterDictionary::load(path, "911169ddaaf146aff539f58c26c489af3b892dff0fe283c1c264c65ae5aa59a2");
  ASSERT_TRUE(pinned) << pinned.error().message();
  Result<CharacterDictionary> wrong = CharacterDictionary::load(path, sum);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("pinned"), std::string::npos) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find(path), std::string::npos);
  Result<CharacterDictionary> unpinned = CharacterDictionary::load(path);
  ASSERT_TRUE(unpinned) << unpinned.error().message();
  EXPECT_EQ(unpinned->classes(), 4U);
  Result<CharacterDictionary> missing = CharacterDictionary::load(path + ".missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::kNotFound);
  EXPECT_FALSE(CharacterDictionary::load(path, "xyz"));
  std::remove(path.c_str());
}

TEST(CtcDecoder, MergesRepeatsAndDropsBlanks) {
  const CtcDecoder ctc = decoderFor("a\nb\n", 8);  // 0 blank, 1 a, 2 b, 3 space
  CtcLine line;
  // a a - a space b b -: "aa b"
  EXPECT_EQ(read(ctc, steps({1, 1, 0, 1, 3, 2, 2, 0}, 4), &line), "aa b");
  EXPECT_EQ(line.characters, 4);
  EXPECT_NEAR(line.score, 0.9F, 1e-6F);
  EXPECT_EQ(read(ctc, steps({0, 0, 0, 0, 0, 0, 0, 0}, 4), &line), "");
  EXPECT_EQ(line.characters, 0);
  EXPECT_EQ(line.score, 0.0F);
}

TEST(CtcDecoder, DropsLeadingAndTrailingSpacesFromTextAndScore) {
  const CtcDecoder ctc = decoderFor("a\nb\n", 6);
  std::vector<float> p = steps({3, 1, 0, 2, 3, 3}, 4);
  // The kept characters at 0.5 and 0.7; the spaces (0.99) must not count.
  p[1 * 4 + 1] = 0.5F;
  p[3 * 4 + 2] = 0.7F;
  p[0 * 4 + 3] = p[4 * 4 + 3] = 0.99F;
  CtcLine line;
  EXPECT_EQ(read(ctc, p, &line), "ab");
  EXPECT_EQ(line.characters, 2);
  EXPECT_NEAR(line.score, 0.6F, 1e-6F);
}

TEST(CtcDecoder, NanNeverWinsAStep) {
  const CtcDecoder ctc = decoderFor("a\nb\n", 2);
  std::vector<float> p = steps({1, 2}, 4);
  p[0] = std::numeric_limits<float>::quiet_NaN();  // step 0's blank
  p[6] = std::numeric_limits<float>::quiet_NaN();  // step 1's b
  EXPECT_EQ(read(ctc, p), "a");
}

TEST(CtcDecoder, ASmallBufferEndsAtAWholeCharacter) {
  const CtcDecoder ctc = decoderFor("\xE4\xB8\xAD\nx\n", 3);  // a 3-byte character, then x
  const std::vector<float> p = steps({2, 1, 0}, 4);
  std::string text(3, '\0');
  const CtcLine line = ctc.decode(p, text);
  EXPECT_EQ(line.bytes, 1U);  // "x", and the 3-byte character did not fit after it
  EXPECT_EQ(text.substr(0, line.bytes), "x");
  EXPECT_EQ(ctc.maxLineBytes(), 9U);
}

TEST(CtcDecoder, RefusesAModelWhoseClassesAreNotTheDictionarys) {
  Result<CharacterDictionary> d = CharacterDictionary::fromText("a\nb\n", "keys.txt");
  ASSERT_TRUE(d);
  Result<CtcDecoder> ctc = CtcDecoder::create(std::move(*d), 40, 6625);
  ASSERT_FALSE(ctc);
  EXPECT_NE(ctc.error().message().find("6625"), std::string::npos) << ctc.error().message();
  EXPECT_NE(ctc.error().message().find("keys.txt"), std::string::npos);
  // Too short an output is a decode of nothing, not a read past it.
  const CtcDecoder ok = decoderFor("a\nb\n", 4);
  EXPECT_EQ(read(ok, steps({1, 2}, 4)), "");
}

}  // namespace
}  // namespace edgert::runtime
