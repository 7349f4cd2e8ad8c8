// A device's update setup in a temporary folder for the bundle tests: a signing key, the
// device's keys folder (trusted.d, revoked.d), a device config with [update], tiny model
// images, signed bundles (the real writer) and hand-built hostile archives (libarchive).
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bundle_writer.hpp"
#include "edgert/runtime/update/slots.hpp"
#include "test_models.hpp"

namespace edgert::update::test {

inline std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeText(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// One entry of a hand-built archive.
struct RawEntry {
  std::string name;
  std::string data;
  unsigned type = AE_IFREG;
  std::string link;        // symlink target or hard link source
  long long headerSize = -1;  // the size the header claims (-1: data.size())
};

// Writes `entries` as a tar (ustar unless `pax`), truncated to `truncateTo` bytes if set.
inline void writeRawArchive(const std::string& path, const std::vector<RawEntry>& entries, bool pax = false,
                            long truncateTo = -1) {
  archive* a = archive_write_new();
  if (pax) archive_write_set_format_pax(a); else archive_write_set_format_ustar(a);
  archive_write_add_filter_none(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const RawEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
    if (!e.link.empty() && e.type == AE_IFREG) archive_entry_set_hardlink(entry, e.link.c_str());
    const bool hasData = e.type == AE_IFREG && e.link.empty();
    archive_entry_set_size(entry, hasData ? (e.headerSize >= 0 ? e.headerSize : static_cast<long long>(e.data.size())) : 0);
    if (pax) archive_entry_copy_gname(entry, "a-rather-long-group-name-that-ustar-could-still-hold");
    archive_write_header(a, entry);
    if (hasData && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  if (truncateTo >= 0) {
    ASSERT_EQ(::truncate(path.c_str(), truncateTo), 0);
  }
}

class BundleFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    // `edgert update` sends its events to the journal unless told otherwise: not this host's.
    ::setenv("EDGERT_LOG_TARGET", "stderr", 1);
    char pattern[] = "/tmp/edgert-update-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    std::filesystem::create_directories(root_ + "/keys/trusted.d");
    std::filesystem::create_directories(root_ + "/keys/revoked.d");
    auto key = bundle::generateKeyPair(root_ + "/signer");
    ASSERT_TRUE(key.ok()) << key.error().message();
    std::filesystem::copy_file(root_ + "/signer/bundle.pub", root_ + "/keys/trusted.d/signer.pub");
    keyPath_ = root_ + "/signer/bundle.key";
    testing::writeTinyCameraModel(root_ + "/good.edgm", testing::TinyModelOutputs::kFinite, 1);
    testing::writeTinyCameraModel(root_ + "/good2.edgm", testing::TinyModelOutputs::kFinite, 2);
    testing::writeTinyCameraModel(root_ + "/nan.edgm", testing::TinyModelOutputs::kNaN, 3);
    writeText(root_ + "/device.toml",
              "[service]\nmodel = \"good.edgm\"\n[camera]\nsource = \"synthetic\"\n"
              "[postprocess]\nkind = \"none\"\n[output]\ndetections = \"none\"\n"
              "[update]\nstate_dir = \"state\"\nkeys = \"keys\"\ncompatible = \"test-board\"\n"
              "trial_frames = 10\ntrial_timeout_s = 20\n");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string path(std::string_view name) const { return root_ + "/" + std::string(name); }
  std::string stateDir() const { return path("state"); }

  // A signed bundle of model files (and a config text when not empty), written to `name`.
  std::string makeBundle(std::string_view name, std::string_view version, std::vector<std::string> models,
                         std::string config = {}, std::string compatible = "test-board",
                         std::string key = {}) {
    bundle::BundleSpec spec;
    spec.compatible = compatible;
    spec.version = *SemVer::parse(version);
    spec.minEdgert = *SemVer::parse("0.1.0");
    for (const std::string& m : models) {
      bundle::PayloadFile f;
      f.entry.name = std::filesystem::path(m).filename().string();
      f.entry.kind = PayloadKind::kModel;
      f.path = path(m);
      spec.files.push_back(f);
    }
    if (!config.empty()) {
      writeText(path("bundle-config.toml"), config);
      bundle::PayloadFile f;
      f.entry.name = "edgert.toml";
      f.entry.kind = PayloadKind::kConfig;
      f.path = path("bundle-config.toml");
      spec.files.push_back(f);
    }
    auto manifest = bundle::makeManifest(spec);
    EXPECT_TRUE(manifest.ok()) << manifest.error().message();
    const std::string text = formatBundleManifest(*manifest);
    auto sig = bundle::signWithKeyFile(key.empty() ? keyPath_ : key, std::as_bytes(std::span(text)));
    EXPECT_TRUE(sig.ok());
    const std::string out = path(name);
    auto w = bundle::writeBundle(out, text, *sig, spec.files);
    EXPECT_TRUE(w.ok()) << w.error().message();
    return out;
  }

  // The entries of a good bundle, for tests that rebuild it with one thing changed.
  std::vector<RawEntry> entriesOf(const std::string& bundlePath) {
    std::vector<RawEntry> out;
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    EXPECT_EQ(archive_read_open_filename(a, bundlePath.c_str(), 4096), ARCHIVE_OK);
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      RawEntry r;
      r.name = archive_entry_pathname(e);
      r.data.resize(static_cast<std::size_t>(archive_entry_size(e)));
      archive_read_data(a, r.data.data(), r.data.size());
      out.push_back(r);
    }
    archive_read_free(a);
    return out;
  }

  std::string signText(const std::string& text) {
    auto sig = bundle::signWithKeyFile(keyPath_, std::as_bytes(std::span(text)));
    EXPECT_TRUE(sig.ok());
    return std::string(reinterpret_cast<const char*>(sig->data()), sig->size());
  }

  // What must not change when a bundle is refused: the link, the state files and every
  // slot's files.
  std::map<std::string, std::string> snapshot() const {
    std::map<std::string, std::string> files;
    std::error_code ec;
    files["current"] = std::filesystem::read_symlink(stateDir() + "/current", ec).string();
    for (const char* f : {"state.0", "state.1"}) files[f] = readText(stateDir() + "/" + f);
    for (const char* slot : {"a", "b"}) {
      const std::string dir = stateDir() + "/slots/" + slot;
      if (!std::filesystem::exists(dir)) continue;
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        files[std::string(slot) + "/" + entry.path().filename().string()] = readText(entry.path().string());
      }
    }
    return files;
  }

  std::string root_;
  std::string keyPath_;
};

// A validator that accepts every file: for tests of the store itself (the device's loader
// and schema checks have their own tests through `edgert update install`).
class AcceptAll final : public PayloadValidator {
 public:
  Result<void> checkModel(const std::string&) override { return success(); }
  Result<void> checkBundle(const std::string&, const BundleManifest&) override { return success(); }
};

}  // namespace edgert::update::test
