// Proves BlazeFaceDecoder::decode and topK perform no heap allocation: this binary counts
// heap allocations (tests/support/alloc_counter.cpp) over 1,000 frames of each.
#include "edgert/runtime/postprocess.hpp"

#include "support/alloc_counter.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace edgert::runtime {
namespace {

TEST(PostprocessAllocations, DecodeAndTopKAllocateNothingOver1000Frames) {
  auto decoder = BlazeFaceDecoder::create(BlazeFaceParams::front());
  ASSERT_TRUE(decoder.ok()) << decoder.error().message();
  constexpr int kCoords = BlazeFaceDecoder::kCoords;
  const std::size_t n = decoder->numAnchors();
  // Every anchor fires, with boxes that overlap their neighbours unevenly: the sort, the
  // scratch and several suppression rounds are all exercised at their largest.
  std::vector<float> scores(n), regressors(n * kCoords);
  for (std::size_t a = 0; a < n; ++a) {
    scores[a] = 2.0F + static_cast<float>(a % 13) * 0.25F;
    float* r = &regressors[a * kCoords];
    r[0] = static_cast<float>(a % 5);
    r[1] = -static_cast<float>(a % 3);
    r[2] = 12.0F + static_cast<float>(a % 7) * 3.0F;
    r[3] = 14.0F + static_cast<float>(a % 11) * 2.0F;
    for (int k = 4; k < kCoords; ++k) r[k] = static_cast<float>(k - 10);
  }
  const std::span<const float> s(scores), r(regressors);
  const std::array<BlazeFaceHead, 2> heads{
      BlazeFaceHead{s.first(512), r.first(512 * kCoords)},
      BlazeFaceHead{s.subspan(512), r.subspan(512 * kCoords)}};
  std::array<Detection, 16> out;
  ASSERT_GT(decoder->decode(heads, out), 1U);  // warm: nothing lazy left
  ASSERT_EQ(topK(s, 5, out), 5U);

  ASSERT_TRUE(test::allocationCounterWorks()) << "allocation counter is not wired";
  std::size_t found = 0;
  test::startCountingAllocations();
  for (int i = 0; i < 1000; ++i) {
    found += decoder->decode(heads, out);
    found += decoder->decode(s, r, out);
    found += topK(s, 5, out);
  }
  EXPECT_EQ(test::stopCountingAllocations(), 0);
  EXPECT_GT(found, 0U);
  if (!test::countsMalloc()) RecordProperty("note", "sanitizer build: operator new counted, malloc not");
}

}  // namespace
}  // namespace edgert::runtime
