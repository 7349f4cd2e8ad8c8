#include "edgert/runtime/update/semver.hpp"

#include <gtest/gtest.h>

namespace edgert::update {
namespace {

SemVer v(std::string_view text) {
  Result<SemVer> r = SemVer::parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.valueOr({});
}

TEST(SemVer, ParsesAndPrints) {
  const SemVer s = v("1.22.333-rc.1+build.7");
  EXPECT_EQ(s.major, 1u);
  EXPECT_EQ(s.minor, 22u);
  EXPECT_EQ(s.patch, 333u);
  EXPECT_EQ(s.prerelease, "rc.1");
  EXPECT_EQ(s.build, "build.7");
  EXPECT_EQ(s.str(), "1.22.333-rc.1+build.7");
}

TEST(SemVer, RejectsWhatIsNotOne) {
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", "1.2.3-a..b", "1.2.3+",
                          "1.2.3-01", " 1.2.3", "1.2.3 ", "v1.2.3", "-1.2.3"}) {
    EXPECT_FALSE(SemVer::parse(bad).ok()) << bad;
  }
  EXPECT_NE(SemVer::parse("1.2").error().message().find("'1.2'"), std::string::npos);
}

TEST(SemVer, OrdersAsSemverSays) {
  // semver.org's own example, in ascending order.
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"};
  for (std::size_t i = 0; i + 1 < std::size(ordered); ++i) {
    EXPECT_TRUE(v(ordered[i]) < v(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
    EXPECT_FALSE(v(ordered[i + 1]) < v(ordered[i])) << ordered[i + 1];
  }
  EXPECT_TRUE(v("1.0.0+a") == v("1.0.0+b"));  // build metadata does not order
}

}  // namespace
}  // namespace edgert::update
