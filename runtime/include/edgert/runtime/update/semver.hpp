// Semantic versions (semver.org 2.0.0) as bundles carry them: MAJOR.MINOR.PATCH with an
// optional -PRERELEASE (ordered by semver's rules) and +BUILD (ignored when comparing).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "edgert/base/result.hpp"

namespace edgert::update {

struct SemVer {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::string prerelease;  // without the '-'
  std::string build;       // without the '+'; not part of the order

  // "1.2.3-rc.1+sha.5"; Errc::kParse naming what is wrong.
  static Result<SemVer> parse(std::string_view text);
  std::string str() const;
};

// Precedence: numbers first; a pre-release sorts before its release; pre-release fields
// compare numerically when both are numbers, else as ASCII, numbers before words.
std::strong_ordering compare(const SemVer& a, const SemVer& b);
inline bool operator<(const SemVer& a, const SemVer& b) { return compare(a, b) < 0; }
inline bool operator==(const SemVer& a, const SemVer& b) { return compare(a, b) == 0; }

}  // namespace edgert::update
