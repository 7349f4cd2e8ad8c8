#include <gtest/gtest.h>

#include "edgert/runtime/update/bundle.hpp"

namespace edgert::update {
namespace {

const char* const kGood =
    "format = 1\ncompatible = \"nvidia,p3768-0000+p3767-0005\"\nversion = \"1.2.0\"\nmin_edgert = \"0.1.0\"\n"
    "\n[[payload]]\nname = \"face.edgm\"\nkind = \"model\"\nsize = 12\n"
    "sha256 = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"\n"
    "\n[[payload]]\nname = \"edgert.toml\"\nkind = \"config\"\nsize = 3\n"
    "sha256 = \"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\"\n";

TEST(BundleManifest, RoundTrips) {
  Result<BundleManifest> m = parseBundleManifest(kGood, "manifest");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->compatible, "nvidia,p3768-0000+p3767-0005");
  EXPECT_EQ(m->version.str(), "1.2.0");
  ASSERT_EQ(m->payload.size(), 2u);
  EXPECT_EQ(m->payload[0].size, 12u);
  EXPECT_EQ(m->payload[1].kind, PayloadKind::kConfig);
  EXPECT_EQ(formatBundleManifest(*m), kGood);
}

void expectError(const std::string& text, std::string_view want) {
  Result<BundleManifest> m = parseBundleManifest(text, "manifest");
  ASSERT_FALSE(m.ok()) << text;
  EXPECT_NE(m.error().message().find(want), std::string::npos) << m.error().message();
}

std::string replaced(std::string_view from, std::string_view to) {
  std::string s = kGood;
  s.replace(s.find(from), from.size(), to);
  return s;
}

TEST(BundleManifest, NamesEachProblem) {
  expectError(replaced("version = \"1.2.0\"", "version = \"1.2\""), "manifest:3:11: version: expected a semantic version");
  expectError(replaced("format = 1", "format = 2"), "format: expected an integer in 1..1");
  expectError(replaced("name = \"face.edgm\"", "name = \"../face.edgm\""), "payload[0].name: expected a plain file name");
  expectError(replaced("name = \"face.edgm\"", "name = \"models/face.edgm\""), "payload[0].name");
  expectError(replaced("name = \"face.edgm\"", "name = \"manifest\""), "payload[0].name");
  expectError(replaced("name = \"face.edgm\"", "name = \"edgert.toml\""), "listed twice");
  expectError(replaced("kind = \"model\"", "kind = \"script\""), "payload[0].kind: expected one of");
  expectError(replaced("size = 12", "size = -1"), "payload[0].size");
  expectError(replaced("sha256 = \"0011", "sha256 = \"zz11"), "payload[0].sha256: expected 64 hex digits");
  expectError(replaced("compatible = \"nvidia,p3768-0000+p3767-0005\"", "compatible = \"two words\""), "compatible");
  expectError(std::string(kGood) + "extra = 1\n", "extra");
  expectError("format = 1\ncompatible = \"x\"\nversion = \"1.0.0\"\nmin_edgert = \"0.1.0\"\npayload = []\n",
              "at least one file");
  expectError("format = 1\ncompatible = \"x\"\nversion = \"1.0.0\"\nmin_edgert = \"0.1.0\"\n", "payload");
  expectError("this is = not toml", "manifest:1");
  expectError(std::string(kMaxManifestBytes + 1, '#'), "more than");
}

TEST(BundleManifest, PayloadNames) {
  for (const char* ok : {"a", "face.edgm", "x_y-z.1", "edgert.toml"}) EXPECT_TRUE(isPayloadName(ok)) << ok;
  for (const char* bad : {"", ".", "..", ".hidden", "a/b", "/abs", "sp ace", "manifest", "manifest.sig", "ü"}) {
    EXPECT_FALSE(isPayloadName(bad)) << bad;
  }
  EXPECT_FALSE(isPayloadName(std::string(101, 'a')));
}

}  // namespace
}  // namespace edgert::update
