// The bundle manifest (runtime/BUNDLE_FORMAT.md): read with the strict schema reader,
// written by edgert-bundle in a fixed layout.
#include <set>

#include "edgert/base/json.hpp"
#include "edgert/base/toml_schema.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::update {

namespace {

constexpr std::array kKindNames{
    EnumName<PayloadKind>{"model", PayloadKind::kModel},
    EnumName<PayloadKind>{"config", PayloadKind::kConfig},
};

bool isSemVer(std::string_view s) { return SemVer::parse(s).ok(); }
constexpr StringRule kSemVerRule{"a semantic version MAJOR.MINOR.PATCH", isSemVer};
bool isDigestText(std::string_view s) {
  Digest d;
  return parseDigest(s, d);
}
constexpr StringRule kDigestRule{"64 hex digits", isDigestText};
bool isCompatible(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
constexpr StringRule kCompatibleRule{"1 to 128 printable characters without spaces", isCompatible};
constexpr StringRule kPayloadNameRule{
    "a plain file name of [A-Za-z0-9._-] not starting with '.' (no folders)", isPayloadName};

}  // namespace

std::string_view payloadKindName(PayloadKind kind) { return enumNameOf(kKindNames, kind); }

bool isPayloadName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  if (name == "manifest" || name == "manifest.sig") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<BundleManifest> parseBundleManifest(std::string_view text, std::string_view sourceName) {
  if (text.size() > kMaxManifestBytes) {
    return makeError(Errc::kOutOfRange, "{}: {} bytes, more than {}", sourceName, text.size(),
                     kMaxManifestBytes);
  }
  EDGERT_ASSIGN_OR_RETURN(toml::table doc, parseToml(text, sourceName));
  BundleManifest m;
  SchemaErrors errors{std::string(sourceName)};
  TableReader root(doc, "", errors);
  m.format = static_cast<int>(root.requiredInt("format", {kBundleFormatVersion, kBundleFormatVersion}).value_or(1));
  m.compatible = root.requiredString("compatible", kCompatibleRule).value_or("");
  if (auto v = root.requiredString("version", kSemVerRule)) m.version = *SemVer::parse(*v);
  if (auto v = root.requiredString("min_edgert", kSemVerRule)) m.minEdgert = *SemVer::parse(*v);
  m.description = root.optionalString("description").value_or("");
  std::set<std::string> names;
  int configs = 0;
  const bool present = root.requiredTableArray("payload", [&](TableReader& entry, std::size_t) {
    PayloadEntry e;
    e.name = entry.requiredString("name", kPayloadNameRule).value_or("");
    e.kind = entry.requiredEnum("kind", kKindNames).value_or(PayloadKind::kModel);
    e.size = static_cast<std::uint64_t>(
        entry.requiredInt("size", {0, std::int64_t{1} << 50}).value_or(0));
    if (auto hex = entry.requiredString("sha256", kDigestRule)) parseDigest(*hex, e.sha256);
    if (!e.name.empty() && !names.insert(e.name).second) {
      entry.fail("name", fmt::format("'{}' is listed twice", e.name));
    }
    if (entry.has("kind") && e.kind == PayloadKind::kConfig) {
      ++configs;
      if (!e.name.empty() && e.name != kBundleConfigName) {
        entry.fail("name", fmt::format("the config entry is named '{}'", kBundleConfigName));
      }
      if (configs > 1) entry.fail("kind", "a bundle carries at most one config");
    } else if (!e.name.empty() && e.name == kBundleConfigName) {
      entry.fail("kind", fmt::format("'{}' is the config's name: kind = \"config\"", kBundleConfigName));
    }
    m.payload.push_back(std::move(e));
  });
  if (present && m.payload.empty()) root.failHere("payload: a bundle lists at least one file");
  if (m.payload.size() > kMaxPayloadEntries) {
    root.fail("payload", fmt::format("{} files; at most {}", m.payload.size(), kMaxPayloadEntries));
  }
  root.reportUnknownKeys();
  if (!errors.empty()) return errors.toError();
  return m;
}

std::string formatBundleManifest(const BundleManifest& m) {
  std::string out;
  out += fmt::format("format = {}\n", m.format);
  out += "compatible = " + jsonString(m.compatible) + "\n";
  out += "version = " + jsonString(m.version.str()) + "\n";
  out += "min_edgert = " + jsonString(m.minEdgert.str()) + "\n";
  if (!m.description.empty()) out += "description = " + jsonString(m.description) + "\n";
  for (const PayloadEntry& e : m.payload) {
    out += "\n[[payload]]\n";
    out += "name = " + jsonString(e.name) + "\n";
    out += fmt::format("kind = \"{}\"\n", payloadKindName(e.kind));
    out += fmt::format("size = {}\n", e.size);
    out += fmt::format("sha256 = \"{}\"\n", toHex(e.sha256));
  }
  return out;
}

}  // namespace edgert::update
