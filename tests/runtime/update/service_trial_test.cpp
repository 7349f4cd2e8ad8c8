// `edgert run` with bundles: a good one is committed after its health check; one whose
// model gives non-finite outputs (in warm-up or on frames), misses the health check's
// deadline or no longer loads is rolled back by the service itself, which keeps running
// the last good one.
#include <gtest/gtest.h>

#include "bundle_fixture.hpp"
#include "edgert/runtime/service_bundles.hpp"
#include "runtime/cli/cli_runner.hpp"

namespace edgert::update::test {
namespace {

using cli::test::runCli;

const char* const kAppConfig =
    "[service]\nmodel = \"{}\"\n[camera]\nsource = \"synthetic\"\n[postprocess]\nkind = \"none\"\n"
    "[output]\ndetections = \"none\"\nstatus_interval_s = 0.2\n";

class ServiceTrial : public BundleFixture {
 protected:
  cli::test::Outcome install(const std::string& bundle) {
    return runCli({"update", "install", bundle, "--config", path("device.toml")});
  }
  cli::test::Outcome run(int frames) {
    return runCli({"run", "--config", path("device.toml"), "--frames", std::to_string(frames)});
  }
  SlotStore store() { return std::move(*SlotStore::open(stateDir())); }
  std::string bundleOf(std::string_view name, std::string_view version, const std::string& model) {
    return makeBundle(name, version, {model}, fmt::format(fmt::runtime(kAppConfig), model));
  }
  void deviceUpdate(std::string_view extra) {
    std::string text = readText(path("device.toml"));
    text += extra;
    writeText(path("device.toml"), text);
  }
  // v1 installed and committed by a service run.
  void commitGood() {
    ASSERT_EQ(install(bundleOf("v1.edgb", "1.0.0", "good.edgm")).code, 0);
    const auto o = run(30);
    ASSERT_EQ(o.code, 0) << o.err;
    ASSERT_EQ(store().state().slots[0].state, SlotState::kOk) << o.err;
  }
};

TEST_F(ServiceTrial, GoodBundleIsCommittedAfterItsHealthCheck) {
  ASSERT_EQ(install(bundleOf("v1.edgb", "1.0.0", "good.edgm")).code, 0);
  EXPECT_EQ(store().state().slots[0].state, SlotState::kPending);
  const auto o = run(30);
  EXPECT_EQ(o.code, 0) << o.err;
  SlotStore s = store();
  EXPECT_EQ(s.state().slots[0].state, SlotState::kOk);
  EXPECT_NE(s.state().slots[0].reason.find("committed by the service: 3 warm-up inferences finite, 10 frames"),
            std::string::npos)
      << s.state().slots[0].reason;
  EXPECT_EQ(s.state().floor, "1.0.0");
  EXPECT_NE(o.err.find("bundle 1.0.0 (slot a"), std::string::npos) << o.err;  // the status line
  // The health file went with the service.
  std::string why;
  EXPECT_FALSE(runtime::readHealthFile(stateDir(), why));
  EXPECT_EQ(runCli({"update", "commit", "--config", path("device.toml")}).code, 0);
}

TEST_F(ServiceTrial, NonFiniteWarmUpIsRolledBackAndTheOldBundleKeepsRunning) {
  commitGood();
  ASSERT_EQ(install(bundleOf("v2.edgb", "1.1.0", "nan.edgm")).code, 0);
  const auto o = run(20);
  EXPECT_EQ(o.code, 0) << o.err;  // it ran its 20 frames, on the old bundle
  SlotStore s = store();
  EXPECT_EQ(s.current(), 0);
  EXPECT_EQ(s.state().slots[1].state, SlotState::kFailed);
  EXPECT_NE(s.state().slots[1].reason.find("warm-up inference 1 of 3"), std::string::npos) << s.state().slots[1].reason;
  EXPECT_NE(o.err.find("frames 20"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("bundle 1.0.0 (slot a)"), std::string::npos) << o.err;
  const auto commit = runCli({"update", "commit", "--config", path("device.toml")});
  EXPECT_EQ(commit.code, 1);
  EXPECT_NE(commit.err.find("was rolled back"), std::string::npos) << commit.err;
  // Mender's rollback after that: nothing more to do, and says so.
  const auto rollback = runCli({"update", "rollback", "--config", path("device.toml")});
  EXPECT_EQ(rollback.code, 0) << rollback.err;
  EXPECT_NE(rollback.out.find("already rolled back"), std::string::npos) << rollback.out;
}

TEST_F(ServiceTrial, NonFiniteFramesAreRolledBack) {
  deviceUpdate("warmup_inferences = 0\n");
  commitGood();
  ASSERT_EQ(install(bundleOf("v2.edgb", "1.1.0", "nan.edgm")).code, 0);
  const auto o = run(20);
  EXPECT_EQ(o.code, 0) << o.err;
  SlotStore s = store();
  EXPECT_EQ(s.current(), 0);
  EXPECT_NE(s.state().slots[1].reason.find("gave non-finite outputs"), std::string::npos) << s.state().slots[1].reason;
}

TEST_F(ServiceTrial, MissedDeadlineIsRolledBack) {
  commitGood();
  // From now on the health check cannot pass: 100000 frames in 0.5 s.
  deviceUpdate("");
  std::string text = readText(path("device.toml"));
  text.replace(text.find("trial_frames = 10"), 17, "trial_frames = 100000");
  text.replace(text.find("trial_timeout_s = 20"), 20, "trial_timeout_s = 0.5");
  writeText(path("device.toml"), text);
  ASSERT_EQ(install(bundleOf("v2.edgb", "1.1.0", "good2.edgm")).code, 0);
  const auto o = run(40);
  EXPECT_EQ(o.code, 0) << o.err;
  SlotStore s = store();
  EXPECT_EQ(s.current(), 0);
  EXPECT_NE(s.state().slots[1].reason.find("of 100000 frames within 2000 ms"), std::string::npos)
      << s.state().slots[1].reason;
}

TEST_F(ServiceTrial, ModelTheLoaderRefusesAtStartIsRolledBack) {
  commitGood();
  ASSERT_EQ(install(bundleOf("v2.edgb", "1.1.0", "good2.edgm")).code, 0);
  // Bit rot after the install: the loader's checksum catches it at the start.
  std::string model = readText(stateDir() + "/slots/b/good2.edgm");
  model[model.size() - 8] ^= 0x40;
  writeText(stateDir() + "/slots/b/good2.edgm", model);
  const auto o = run(10);
  EXPECT_EQ(o.code, 0) << o.err;
  SlotStore s = store();
  EXPECT_EQ(s.current(), 0);
  EXPECT_EQ(s.state().slots[1].state, SlotState::kFailed);
}

TEST_F(ServiceTrial, StatusAndHealthWhileRunning) {
  commitGood();
  const auto json = runCli({"update", "status", "--json", "--config", path("device.toml")});
  EXPECT_EQ(json.code, 0);
  EXPECT_NE(json.out.find("\"current\":\"a\",\"active_version\":\"1.0.0\",\"floor\":\"1.0.0\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"healthy\":false"), std::string::npos);  // no service runs now
  const auto health = runCli({"health", "--config", path("device.toml")});
  EXPECT_EQ(health.code, 1);
  // A record of a live process of this boot is healthy.
  ASSERT_TRUE(runtime::writeHealthFile(stateDir(), {static_cast<long>(::getpid()), currentBootId(), "1.0.0"}).ok());
  const auto healthy = runCli({"health", "--config", path("device.toml")});
  EXPECT_EQ(healthy.code, 0) << healthy.out;
  EXPECT_NE(healthy.out.find("runs bundle 1.0.0"), std::string::npos);
  runtime::removeHealthFile(stateDir());
}

}  // namespace
}  // namespace edgert::update::test
