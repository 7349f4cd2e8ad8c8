// `edgert update install` refuses every hostile or wrong bundle with exit 65, a message
// naming what is wrong, and no change to any slot, the link or the state.
#include <gtest/gtest.h>

#include "bundle_fixture.hpp"
#include "runtime/cli/cli_runner.hpp"

namespace edgert::update::test {
namespace {

using cli::test::runCli;

class InstallRefusal : public BundleFixture {
 protected:
  void SetUp() override {
    BundleFixture::SetUp();
    good_ = makeBundle("v1.edgb", "1.0.0", {"good.edgm"});
    auto first = install(good_);
    ASSERT_EQ(first.code, 0) << first.err;
    auto commit = runCli({"update", "commit", "--force", "--config", path("device.toml")});
    ASSERT_EQ(commit.code, 0) << commit.err;
    next_ = makeBundle("v2.edgb", "1.1.0", {"good2.edgm"});
  }

  cli::test::Outcome install(const std::string& bundle, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"update", "install", bundle, "--config", path("device.toml")};
    args.insert(args.end(), extra.begin(), extra.end());
    return runCli(args);
  }

  void expectRefused(const std::string& bundle, std::string_view why, std::vector<std::string> extra = {}) {
    const auto before = snapshot();
    const auto o = install(bundle, extra);
    EXPECT_EQ(o.code, 65) << o.out << o.err;
    EXPECT_NE(o.err.find(why), std::string::npos) << "expected '" << why << "' in: " << o.err;
    EXPECT_NE(o.err.find("no slot was changed"), std::string::npos) << o.err;
    EXPECT_EQ(snapshot(), before);
    // The committed bundle is still what runs.
    Result<SlotStore> store = SlotStore::open(stateDir());
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(store->current(), 0);
    EXPECT_EQ(store->activeVersion(), "1.0.0");
  }

  // The v2 bundle rebuilt from its entries after `change`.
  std::string rebuilt(std::string_view name, const std::function<void(std::vector<RawEntry>&)>& change,
                      bool pax = false) {
    std::vector<RawEntry> entries = entriesOf(next_);
    change(entries);
    const std::string out = path(name);
    writeRawArchive(out, entries, pax);
    return out;
  }

  // The v2 bundle with its manifest text changed by `edit` and signed again.
  std::string resigned(std::string_view name, const std::function<void(std::string&)>& edit,
                       const std::function<void(std::vector<RawEntry>&)>& change = {}) {
    return rebuilt(name, [&](std::vector<RawEntry>& e) {
      edit(e[0].data);
      e[1].data = signText(e[0].data);
      if (change) change(e);
    });
  }

  std::string good_, next_;
};

TEST_F(InstallRefusal, GoodBundleInstallsIntoTheOtherSlot) {
  const auto o = install(next_);
  EXPECT_EQ(o.code, 0) << o.err;
  Result<SlotStore> store = SlotStore::open(stateDir());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->current(), 1);
  EXPECT_EQ(store->state().slots[1].state, SlotState::kPending);
  EXPECT_EQ(store->state().slots[1].triesLeft, kTrialTries);
  EXPECT_EQ(store->state().slots[0].state, SlotState::kOk);  // the last good one, untouched
}

TEST_F(InstallRefusal, PayloadByteFlipped) {
  expectRefused(rebuilt("flip.edgb", [](auto& e) { e[2].data[100] ^= 0x01; }), "good2.edgm': sha256");
}

TEST_F(InstallRefusal, ManifestEditedAfterSigning) {
  expectRefused(rebuilt("edited.edgb",
                        [](auto& e) {
                          const auto at = e[0].data.find("1.1.0");
                          e[0].data.replace(at, 5, "1.9.0");
                        }),
                "no trusted key");
}

TEST_F(InstallRefusal, WrongKey) {
  ASSERT_TRUE(bundle::generateKeyPair(path("stranger")).ok());
  expectRefused(makeBundle("stranger.edgb", "1.1.0", {"good2.edgm"}, {}, "test-board", path("stranger/bundle.key")),
                "no trusted key");
}

TEST_F(InstallRefusal, RevokedKey) {
  // Another key stays trusted (rotation); the leaked one is revoked.
  ASSERT_TRUE(bundle::generateKeyPair(path("rotated")).ok());
  std::filesystem::copy_file(path("rotated/bundle.pub"), path("keys/trusted.d/rotated.pub"));
  std::filesystem::copy_file(path("signer/bundle.pub"), path("keys/revoked.d/leaked.pub"));
  expectRefused(next_, "which is revoked");
}

TEST_F(InstallRefusal, DotDotPath) {
  expectRefused(rebuilt("dotdot.edgb", [](auto& e) { e[2].name = "../good2.edgm"; }), "a path with '..'");
}

TEST_F(InstallRefusal, AbsolutePath) {
  expectRefused(rebuilt("abs.edgb", [](auto& e) { e[2].name = "/etc/good2.edgm"; }), "an absolute path");
}

TEST_F(InstallRefusal, SymlinkEntry) {
  expectRefused(rebuilt("link.edgb",
                        [](auto& e) {
                          e[2].type = AE_IFLNK;
                          e[2].link = "/etc/shadow";
                        }),
                "'good2.edgm': a symbolic link");
}

TEST_F(InstallRefusal, HardLinkEntry) {
  expectRefused(rebuilt("hard.edgb", [](auto& e) { e[2].link = "manifest"; }), "'good2.edgm': a hard link");
}

TEST_F(InstallRefusal, DeviceFileEntry) {
  expectRefused(rebuilt("dev.edgb", [](auto& e) { e[2].type = AE_IFCHR; }), "'good2.edgm': a character device");
}

TEST_F(InstallRefusal, TruncatedArchive) {
  const std::string out = path("truncated.edgb");
  std::filesystem::copy_file(next_, out);
  ASSERT_EQ(::truncate(out.c_str(), static_cast<off_t>(std::filesystem::file_size(out) / 2)), 0);
  expectRefused(out, "truncated");
}

TEST_F(InstallRefusal, EntryLargerThanTheManifestSays) {
  expectRefused(rebuilt("larger.edgb", [](auto& e) { e[2].data += "more"; }), "the manifest says");
}

TEST_F(InstallRefusal, OversizeEntryAgainstTheLimit) {
  expectRefused(resigned("oversize.edgb",
                         [](std::string& m) {
                           const auto at = m.find("size = ");
                           m.replace(at, m.find('\n', at) - at, "size = 3000000");
                         }),
                "the limit is 1048576 bytes per file", {"--max-mib", "1"});
}

TEST_F(InstallRefusal, Downgrade) {
  expectRefused(makeBundle("old.edgb", "0.9.0", {"good2.edgm"}), "older than the committed 1.0.0");
}

TEST_F(InstallRefusal, DowngradeAllowedWhenAsked) {
  const auto o = install(makeBundle("old.edgb", "0.9.0", {"good2.edgm"}), {"--allow-downgrade"});
  EXPECT_EQ(o.code, 0) << o.err;
}

TEST_F(InstallRefusal, BelowTheFloor) {
  // 1.1.0 committed raises the floor; rolling back by hand to 1.0.0 keeps it.
  ASSERT_EQ(install(next_).code, 0);
  ASSERT_EQ(runCli({"update", "commit", "--force", "--config", path("device.toml")}).code, 0);
  ASSERT_EQ(runCli({"update", "rollback", "--config", path("device.toml")}).code, 0);
  const auto o = install(makeBundle("mid.edgb", "1.0.5", {"good2.edgm"}));
  EXPECT_EQ(o.code, 65);
  EXPECT_NE(o.err.find("below the version floor 1.1.0"), std::string::npos) << o.err;
}

TEST_F(InstallRefusal, WrongCompatible) {
  expectRefused(makeBundle("other.edgb", "1.1.0", {"good2.edgm"}, {}, "other-board"),
                "the bundle is for 'other-board'; this device is 'test-board'");
}

TEST_F(InstallRefusal, MissingEntry) {
  expectRefused(rebuilt("missing.edgb", [](auto& e) { e.pop_back(); }), "'good2.edgm': missing");
}

TEST_F(InstallRefusal, ExtraEntry) {
  expectRefused(rebuilt("extra.edgb", [](auto& e) { RawEntry extra;
    extra.name = "evil.sh";
    extra.data = "#!/bin/sh\n";
    e.push_back(extra); }),
                "'evil.sh': an extra entry");
}

TEST_F(InstallRefusal, DuplicatedEntry) {
  expectRefused(rebuilt("dup.edgb", [](auto& e) { e.insert(e.begin() + 2, e[1]); }),
                "'manifest.sig': found where 'good2.edgm' belongs: a duplicate");
}

TEST_F(InstallRefusal, OutOfOrderEntries) {
  expectRefused(rebuilt("order.edgb", [](auto& e) { std::swap(e[0], e[1]); }),
                "'manifest.sig': found where 'manifest' belongs: out of order");
}

TEST_F(InstallRefusal, PaxHeader) {
  expectRefused(rebuilt("pax.edgb", [](auto&) {}, true), "a pax tar header");
}

TEST_F(InstallRefusal, ModelTheLoaderRefuses) {
  writeText(path("junk.edgm"), std::string(4096, 'x'));
  expectRefused(makeBundle("junk.edgb", "1.1.0", {"junk.edgm"}), "junk.edgm: the device's loader refuses it");
}

TEST_F(InstallRefusal, ConfigNamingAModelOutsideTheBundle) {
  expectRefused(makeBundle("cfg.edgb", "1.1.0", {"good2.edgm"},
                           "[service]\nmodel = \"/usr/share/edgert/models/face.edgm\"\n"
                           "[postprocess]\nkind = \"none\"\n"),
                "is not a model of this bundle");
}

TEST_F(InstallRefusal, OcrConfigWithARecogniserOutsideTheBundle) {
  expectRefused(makeBundle("ocr.edgb", "1.1.0", {"good2.edgm"},
                           "[service]\nmodel = \"good2.edgm\"\n[postprocess]\nkind = \"ocr\"\n"
                           "recognizer = \"/usr/share/edgert/models/rec.edgm\"\n"
                           "dictionary = \"/usr/share/edgert/keys.txt\"\n"
                           "dictionary_sha256 = \"" + std::string(64, 'a') + "\"\n"),
                "postprocess.recognizer: '/usr/share/edgert/models/rec.edgm' is not a model of this bundle");
}

TEST_F(InstallRefusal, OcrConfigWithAnUnpinnedDictionary) {
  expectRefused(makeBundle("dict.edgb", "1.1.0", {"good2.edgm", "good.edgm"},
                           "[service]\nmodel = \"good2.edgm\"\n[postprocess]\nkind = \"ocr\"\n"
                           "recognizer = \"good.edgm\"\ndictionary = \"/usr/share/edgert/keys.txt\"\n"),
                "postprocess.dictionary: a bundle's config names a dictionary on the device");
}

TEST_F(InstallRefusal, ConfigSettingUpdate) {
  expectRefused(makeBundle("upd.edgb", "1.1.0", {"good2.edgm"},
                           "[service]\nmodel = \"good2.edgm\"\n[postprocess]\nkind = \"none\"\n"
                           "[update]\ntrial_frames = 0\n"),
                "[update]: the device's own config sets these");
}

TEST_F(InstallRefusal, NotATarAtAll) {
  writeText(path("text.edgb"), "hello, this is not a bundle\n");
  expectRefused(path("text.edgb"), "text.edgb");
}

TEST_F(InstallRefusal, TrialInProgressIsNotARefusal) {
  ASSERT_EQ(install(next_).code, 0);
  const auto o = install(makeBundle("v3.edgb", "1.2.0", {"good.edgm"}));
  EXPECT_EQ(o.code, 75) << o.err;
  EXPECT_NE(o.err.find("is on trial"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace edgert::update::test
