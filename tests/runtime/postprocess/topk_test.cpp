// topK on awkward inputs: k = 0, k beyond the classes or the output, ties, NaN, negatives.
#include "edgert/runtime/postprocess.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <vector>

namespace edgert::runtime {
namespace {

std::vector<int> classes(std::span<const Detection> d) {
  std::vector<int> ids;
  for (const Detection& x : d) ids.push_back(x.classId);
  return ids;
}

TEST(TopK, PicksTheBestInOrderWithAnEmptyBox) {
  const std::array<float, 6> scores{0.1F, 0.7F, -2.0F, 0.9F, 0.3F, 0.5F};
  std::array<Detection, 3> out;
  ASSERT_EQ(topK(scores, 3, out), 3U);
  EXPECT_EQ(classes(out), (std::vector<int>{3, 1, 5}));
  EXPECT_FLOAT_EQ(out[0].score, 0.9F);
  EXPECT_FLOAT_EQ(out[2].score, 0.5F);
  for (const Detection& d : out) {
    EXPECT_EQ(d.x0, 0.0F);
    EXPECT_EQ(d.x1, 0.0F);
    EXPECT_EQ(d.y0, 0.0F);
    EXPECT_EQ(d.y1, 0.0F);
    EXPECT_EQ(d.numKeypoints, 0);
  }
}

TEST(TopK, KZeroWritesNothing) {
  const std::array<float, 3> scores{1, 2, 3};
  std::array<Detection, 3> out;
  out[0].classId = 77;
  EXPECT_EQ(topK(scores, 0, out), 0U);
  EXPECT_EQ(out[0].classId, 77);
  EXPECT_EQ(topK({}, 5, out), 0U);
  EXPECT_EQ(topK(scores, 5, std::span<Detection>{}), 0U);
}

TEST(TopK, KBeyondTheClassesSortsThemAll) {
  const std::array<float, 4> scores{-1.0F, -3.0F, -0.5F, -2.0F};  // logits can be negative
  std::array<Detection, 10> out;
  ASSERT_EQ(topK(scores, 10, out), 4U);
  EXPECT_EQ(classes(std::span<const Detection>(out).first(4)), (std::vector<int>{2, 0, 3, 1}));
}

TEST(TopK, KBeyondTheOutputIsLimitedByIt) {
  const std::array<float, 5> scores{0.2F, 0.8F, 0.4F, 0.6F, 1.0F};
  std::array<Detection, 2> out;
  ASSERT_EQ(topK(scores, 4, out), 2U);
  EXPECT_EQ(classes(out), (std::vector<int>{4, 1}));
}

TEST(TopK, TiesKeepTheLowerClassFirst) {
  const std::array<float, 7> scores{0.5F, 0.9F, 0.5F, 0.9F, 0.5F, 0.1F, 0.9F};
  std::array<Detection, 4> out;
  ASSERT_EQ(topK(scores, 4, out), 4U);
  EXPECT_EQ(classes(out), (std::vector<int>{1, 3, 6, 0}));
  const std::array<float, 4> same{0.25F, 0.25F, 0.25F, 0.25F};
  ASSERT_EQ(topK(same, 2, out), 2U);
  EXPECT_EQ(classes(std::span<const Detection>(out).first(2)), (std::vector<int>{0, 1}));
}

TEST(TopK, NanScoresAreSkipped) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::array<float, 5> scores{nan, 0.3F, nan, 0.7F, nan};
  std::array<Detection, 5> out;
  ASSERT_EQ(topK(scores, 5, out), 2U);
  EXPECT_EQ(classes(std::span<const Detection>(out).first(2)), (std::vector<int>{3, 1}));
  const std::array<float, 2> allNan{nan, nan};
  EXPECT_EQ(topK(allNan, 2, out), 0U);
}

TEST(TopK, AgreesWithSortingOnALongerInput) {
  // 1000 scores with many repeats against a plain stable sort of (score desc, class asc).
  std::vector<float> scores(1000);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    scores[i] = static_cast<float>((i * 7919U) % 97U) / 97.0F;
  }
  std::vector<int> order(scores.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)];
  });
  std::array<Detection, 25> out;
  ASSERT_EQ(topK(scores, 25, out), 25U);
  EXPECT_EQ(classes(out), std::vector<int>(order.begin(), order.begin() + 25));
}

}  // namespace
}  // namespace edgert::runtime
