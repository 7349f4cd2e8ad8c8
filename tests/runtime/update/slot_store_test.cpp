// The slot store's life cycle: tries, commit, rollback, the floor, and a state that was
// damaged or lost.
#include <fcntl.h>
#include <sys/file.h>
#include <gtest/gtest.h>

#include "bundle_fixture.hpp"

namespace edgert::update::test {
namespace {

class SlotStoreTest : public BundleFixture {
 protected:
  Result<InstallReport> install(SlotStore& store, const std::string& bundle) {
    Result<Keyring> keys = loadKeyring(path("keys"));
    EXPECT_TRUE(keys.ok());
    const int fd = ::open(bundle.c_str(), O_RDONLY | O_CLOEXEC);
    InstallPolicy policy;
    policy.compatible = "test-board";
    policy.edgertVersion = *SemVer::parse("0.1.0");
    AcceptAll accept;
    Result<InstallReport> r = store.install(fd, bundle, *keys, policy, accept);
    ::close(fd);
    return r;
  }

  SlotStore open() {
    Result<SlotStore> s = SlotStore::open(stateDir());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return std::move(*s);
  }
};

TEST_F(SlotStoreTest, FreshStoreRunsTheDeviceConfig) {
  SlotStore store = open();
  EXPECT_FALSE(store.current());
  Result<StartChoice> c = store.beginStart("boot");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->slot);
  EXPECT_TRUE(store.notes().empty());
}

TEST_F(SlotStoreTest, ThreeTriesThenBackToTheLastGoodSlot) {
  SlotStore store = open();
  ASSERT_TRUE(install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"})).ok());
  ASSERT_TRUE(*store.commit("test"));
  EXPECT_EQ(store.state().floor, "1.0.0");
  ASSERT_TRUE(install(store, makeBundle("v2.edgb", "1.1.0", {"good2.edgm"})).ok());
  for (int left = kTrialTries - 1; left >= 0; --left) {
    Result<StartChoice> c = open().beginStart("boot-x");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->slot, 1);
    EXPECT_TRUE(c->trial);
    EXPECT_EQ(c->triesLeft, left);
    EXPECT_FALSE(c->rolledBack);
  }
  SlotStore again = open();
  EXPECT_EQ(again.state().slots[1].bootId, "boot-x");
  Result<StartChoice> c = again.beginStart("boot-y");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->rolledBack);
  EXPECT_NE(c->rolledBack->find("3 tries spent"), std::string::npos);
  EXPECT_EQ(c->slot, 0);
  EXPECT_FALSE(c->trial);
  EXPECT_EQ(again.state().slots[1].state, SlotState::kFailed);
  EXPECT_EQ(open().current(), 0);
}

TEST_F(SlotStoreTest, RollbackOfTheFirstBundleGoesBackToTheDeviceConfig) {
  SlotStore store = open();
  ASSERT_TRUE(install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"})).ok());
  Result<std::optional<int>> back = store.rollback("test");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(*back);
  EXPECT_FALSE(open().current());
  EXPECT_EQ(open().state().slots[0].state, SlotState::kFailed);
  // A committed slot with nothing to go back to: refused by hand, done by the service.
  ASSERT_TRUE(install(store, makeBundle("v2.edgb", "1.1.0", {"good2.edgm"})).ok());
  ASSERT_TRUE(*store.commit("test"));
  EXPECT_FALSE(store.rollback("by hand").ok());
  ASSERT_TRUE(store.rollback("the loader refuses it", true).ok());
  EXPECT_FALSE(open().current());
}

TEST_F(SlotStoreTest, CorruptNewestStateFallsBackToTheOlderGeneration) {
  SlotStore store = open();
  ASSERT_TRUE(install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"})).ok());
  const std::uint64_t gen = store.state().generation;
  const std::string newest = stateDir() + "/state." + std::to_string(gen % 2);
  std::string text = readText(newest);
  text[text.find("pending")] = 'P';
  writeText(newest, text);
  SlotStore reopened = open();
  EXPECT_EQ(reopened.state().generation, gen);  // the older one, then the note's own write? no: read only
  ASSERT_FALSE(reopened.notes().empty());
  EXPECT_NE(reopened.notes()[0].find("checksum mismatch; set aside as"), std::string::npos) << reopened.notes()[0];
  EXPECT_TRUE(std::filesystem::exists(newest + ".corrupt"));
}

TEST_F(SlotStoreTest, LostStateIsRebuiltFromTheSlots) {
  SlotStore store = open();
  ASSERT_TRUE(install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"})).ok());
  ASSERT_TRUE(*store.commit("test"));
  ASSERT_TRUE(install(store, makeBundle("v2.edgb", "1.1.0", {"good2.edgm"})).ok());
  ASSERT_TRUE(*store.commit("test"));
  writeText(stateDir() + "/state.0", "garbage");
  writeText(stateDir() + "/state.1", "more garbage");
  SlotStore rebuilt = open();
  ASSERT_FALSE(rebuilt.notes().empty());
  EXPECT_NE(rebuilt.notes().back().find("state rebuilt from the slots"), std::string::npos);
  // Both slots are complete: the active one goes on trial again, the other is the fallback.
  EXPECT_EQ(rebuilt.current(), 1);
  EXPECT_EQ(rebuilt.state().slots[1].state, SlotState::kPending);
  EXPECT_EQ(rebuilt.state().slots[0].state, SlotState::kOk);
  EXPECT_EQ(rebuilt.state().floor, "1.0.0");
  EXPECT_EQ(rebuilt.state().slots[1].version, "1.1.0");
}

TEST_F(SlotStoreTest, LinkToAFailedSlotIsRepaired) {
  SlotStore store = open();
  ASSERT_TRUE(install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"})).ok());
  ASSERT_TRUE(*store.commit("test"));
  ASSERT_TRUE(install(store, makeBundle("v2.edgb", "1.1.0", {"good2.edgm"})).ok());
  ASSERT_TRUE(store.rollback("test").ok());
  // As if the power went after the state said "failed" but before the link moved.
  std::filesystem::remove(stateDir() + "/current");
  std::filesystem::create_symlink("slots/b", stateDir() + "/current");
  SlotStore repaired = open();
  EXPECT_EQ(repaired.current(), 0);
  ASSERT_FALSE(repaired.notes().empty());
  EXPECT_NE(repaired.notes()[0].find("current: b -> a"), std::string::npos) << repaired.notes()[0];
}

TEST_F(SlotStoreTest, OneInstallAtATime) {
  SlotStore store = open();
  const std::string lock = stateDir() + "/install.lock";
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  Result<InstallReport> r = install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"}));
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::kBusy);
}

// What `edgert update status --verify` reports: a slot whose files no longer match.
TEST_F(SlotStoreTest, VerifySlotNamesADamagedFile) {
  SlotStore store = open();
  ASSERT_TRUE(install(store, makeBundle("v1.edgb", "1.0.0", {"good.edgm"})).ok());
  ASSERT_TRUE(store.verifySlot(0).ok());
  std::string model = readText(store.slotDir(0) + "/good.edgm");
  model[model.size() / 2] ^= 0x01;
  writeText(store.slotDir(0) + "/good.edgm", model);
  Result<void> damaged = store.verifySlot(0);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code(), Errc::kCorrupt);
  EXPECT_NE(damaged.error().message().find("good.edgm: sha256 differs"), std::string::npos) << damaged.error().message();
  writeText(store.slotDir(0) + "/manifest", readText(store.slotDir(0) + "/manifest") + "\n");
  EXPECT_NE(store.verifySlot(0).error().message().find("is not the manifest installed in slot a"), std::string::npos);
}

}  // namespace
}  // namespace edgert::update::test
