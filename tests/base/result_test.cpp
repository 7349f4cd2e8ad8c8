#include "edgert/base/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

namespace edgert {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return makeError(Errc::kOutOfRange, "value: expected > 0, found {}", v);
  return v;
}

Result<int> doubled(int v) {
  EDGERT_ASSIGN_OR_RETURN(const int x, parsePositive(v));
  return 2 * x;
}

Result<> checkBoth(int a, int b) {
  EDGERT_TRY(parsePositive(a));
  EDGERT_TRY(parsePositive(b));
  return success();
}

TEST(Result, ValueAndError) {
  Result<int> ok = parsePositive(3);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  Result<int> bad = parsePositive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kOutOfRange);
  EXPECT_EQ(bad.error().message(), "value: expected > 0, found -1");
  EXPECT_EQ(bad.valueOr(7), 7);
}

TEST(Result, PropagationMacros) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(0).error().message(), "value: expected > 0, found 0");
  EXPECT_TRUE(checkBoth(1, 2).ok());
  Result<> r = checkBoth(1, -5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "value: expected > 0, found -5");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Result, FromErrnoMapsCodesAndKeepsErrno) {
  Error e = Error::fromErrno(ENOENT, "open /dev/video9");
  EXPECT_EQ(e.code(), Errc::kNotFound);
  EXPECT_EQ(e.sysErrno(), ENOENT);
  EXPECT_EQ(e.message(), "open /dev/video9: No such file or directory");
  EXPECT_EQ(Error::fromErrno(ENODEV, "x").code(), Errc::kDisconnected);
  EXPECT_EQ(Error::fromErrno(EAGAIN, "x").code(), Errc::kTimeout);
  EXPECT_EQ(Error::fromErrno(EACCES, "x").code(), Errc::kPermissionDenied);
  EXPECT_EQ(Error::fromErrno(EIO, "x").code(), Errc::kIo);
}

TEST(Result, WithContextPrefixes) {
  Error e = makeError(Errc::kCorrupt, "checksum mismatch");
  Error c = std::move(e).withContext("loading model face.edgm");
  EXPECT_EQ(c.message(), "loading model face.edgm: checksum mismatch");
  EXPECT_EQ(c.code(), Errc::kCorrupt);
}

TEST(Result, ErrcNamesAreStable) {
  EXPECT_EQ(errcName(Errc::kNotFound), "not-found");
  EXPECT_EQ(errcName(Errc::kSchema), "schema");
  EXPECT_EQ(errcName(Errc::kDisconnected), "disconnected");
}

TEST(ResultDeathTest, ValueOfFailedResultAborts) {
  // "fast" (fork without re-exec): under qemu-user the test binary cannot exec itself.
  GTEST_FLAG_SET(death_test_style, "fast");
  EXPECT_DEATH(
      {
        Result<int> bad = parsePositive(0);
        (void)bad.value();
      },
      "value\\(\\) of a failed Result \\(out-of-range\\): value: expected > 0, found 0");
}

}  // namespace
}  // namespace edgert
