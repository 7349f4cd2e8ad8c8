#include "edgert/runtime/update/semver.hpp"

#include <charconv>
#include <vector>

namespace edgert::update {

namespace {

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool isIdentifierChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// Dot-separated non-empty identifiers of [0-9A-Za-z-]; numeric ones without leading zeros
// when `numericNoLeadingZero`.
bool validIdentifiers(std::string_view s, bool numericNoLeadingZero) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (part.empty()) return false;
    for (char c : part) {
      if (!isIdentifierChar(c)) return false;
    }
    if (numericNoLeadingZero && isDigits(part) && part.size() > 1 && part[0] == '0') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool parseNumber(std::string_view s, std::uint64_t& out) {
  if (!isDigits(s) || (s.size() > 1 && s[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

Result<SemVer> SemVer::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return makeError(Errc::kParse, "'{}' is not a semantic version MAJOR.MINOR.PATCH: {}", text, why);
  };
  SemVer v;
  std::string_view rest = text;
  if (const std::size_t plus = rest.find('+'); plus != std::string_view::npos) {
    v.build = std::string(rest.substr(plus + 1));
    if (!validIdentifiers(v.build, false)) return bad("bad build metadata after '+'");
    rest = rest.substr(0, plus);
  }
  if (const std::size_t dash = rest.find('-'); dash != std::string_view::npos) {
    v.prerelease = std::string(rest.substr(dash + 1));
    if (!validIdentifiers(v.prerelease, true)) return bad("bad pre-release after '-'");
    rest = rest.substr(0, dash);
  }
  const std::vector<std::string_view> numbers = split(rest);
  if (numbers.size() != 3) return bad("expected three numbers separated by dots");
  if (!parseNumber(numbers[0], v.major) || !parseNumber(numbers[1], v.minor) ||
      !parseNumber(numbers[2], v.patch)) {
    return bad("each number is decimal digits without a leading zero");
  }
  return v;
}

std::string SemVer::str() const {
  std::string s = fmt::format("{}.{}.{}", major, minor, patch);
  if (!prerelease.empty()) s += "-" + prerelease;
  if (!build.empty()) s += "+" + build;
  return s;
}

std::strong_ordering compare(const SemVer& a, const SemVer& b) {
  if (auto c = a.major <=> b.major; c != 0) return c;
  if (auto c = a.minor <=> b.minor; c != 0) return c;
  if (auto c = a.patch <=> b.patch; c != 0) return c;
  if (a.prerelease.empty() || b.prerelease.empty()) {
    // A release is above its pre-releases.
    return a.prerelease.empty() <=> b.prerelease.empty();
  }
  const std::vector<std::string_view> pa = split(a.prerelease), pb = split(b.prerelease);
  for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    const bool na = isDigits(pa[i]), nb = isDigits(pb[i]);
    if (na && nb) {
      std::uint64_t x = 0, y = 0;
      std::from_chars(pa[i].data(), pa[i].data() + pa[i].size(), x);
      std::from_chars(pb[i].data(), pb[i].data() + pb[i].size(), y);
      if (auto c = x <=> y; c != 0) return c;
    } else if (na != nb) {
      return na ? std::strong_ordering::less : std::strong_ordering::greater;
    } else if (auto c = pa[i].compare(pb[i]) <=> 0; c != 0) {
      return c;
    }
  }
  return pa.size() <=> pb.size();
}

}  // namespace edgert::update
