#include "edgert/runtime/cli.hpp"

#include "cli_runner.hpp"

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/runtime/build_info.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace edgert::cli {
namespace {

using test::Outcome;
using test::runCli;

TEST(Cli, VersionNamesRevisionArchAndBuildType) {
  Outcome o = runCli({"version"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const BuildInfo& info = buildInfo();
  EXPECT_EQ(o.out.rfind(std::string("edgert ") + info.version + "\n", 0), 0u) << o.out;
  EXPECT_NE(o.out.find(std::string("git revision: ") + info.gitRevision + "\n"), std::string::npos);
  EXPECT_NE(o.out.find(std::string("target: ") + kernels::compiledArch() + "\n"), std::string::npos);
  EXPECT_NE(o.out.find(std::string("build type: ") + info.buildType + "\n"), std::string::npos);
  // What CMake was told to target and what the compiler produced must agree.
  EXPECT_STREQ(info.targetArch, kernels::compiledArch());
}

TEST(Cli, HelpListsOnlyRegisteredCommands) {
  Outcome o = runCli({"--help"});
  ASSERT_EQ(o.code, kExitOk);
  EXPECT_NE(o.out.find("\n  version "), std::string::npos);
  EXPECT_NE(o.out.find("\n  board [FILE] "), std::string::npos);
  EXPECT_NE(o.out.find("\n  inventory [--board FILE]"), std::string::npos);
  // Commands that do not exist yet are not advertised.
  EXPECT_NE(o.out.find("\n  inspect MODEL.edgm "), std::string::npos);
  EXPECT_NE(o.out.find("\n  infer MODEL.edgm"), std::string::npos);
  EXPECT_NE(o.out.find("\n  sensors --board FILE"), std::string::npos);
  EXPECT_NE(o.out.find("\n  run --config FILE"), std::string::npos);
  EXPECT_NE(o.out.find("\n  camera-test [--source SRC]"), std::string::npos);
  // Every listed command answers `help NAME`.
  EXPECT_NE(o.out.find("\n  bench MODEL.edgm"), std::string::npos);
  EXPECT_EQ(o.out.find("bench-cold"), std::string::npos);  // internal
  for (const char* name : {"version", "board", "inventory", "inspect", "infer", "sensors", "bench",
                           "camera-test", "run"}) {
    Outcome h = runCli({"help", name});
    EXPECT_EQ(h.code, kExitOk) << name;
    EXPECT_EQ(h.out.rfind(std::string("Usage: edgert ") + name, 0), 0u) << h.out;
  }
}

TEST(Cli, UsageErrorsAreExplainedWithExit64) {
  Outcome none = runCli({});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_NE(none.err.find("Usage: edgert <command>"), std::string::npos);

  Outcome unknown = runCli({"frobnicate"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_EQ(unknown.err, "edgert: unknown command 'frobnicate'; run 'edgert --help' for the list\n");

  Outcome badOpt = runCli({"inventory", "--bogus"});
  EXPECT_EQ(badOpt.code, kExitUsage);
  EXPECT_EQ(badOpt.err,
            "edgert inventory: unknown option '--bogus'\n"
            "Run 'edgert help inventory' for its arguments.\n");

  Outcome missingValue = runCli({"inventory", "--sysfs-root"});
  EXPECT_EQ(missingValue.code, kExitUsage);
  EXPECT_EQ(missingValue.err.rfind("edgert inventory: option '--sysfs-root' needs a value\n", 0),
            0u)
      << missingValue.err;

  Outcome extra = runCli({"version", "now"});
  EXPECT_EQ(extra.code, kExitUsage);
}

TEST(Cli, BoardPrintsTheEmbeddedDefaultAndFiles) {
  Outcome def = runCli({"board"});
  ASSERT_EQ(def.code, kExitOk) << def.err;
  EXPECT_EQ(def.out.rfind("board: host-sim\n", 0), 0u) << def.out;
  Outcome file = runCli({"board", "board/host-sim.toml"});
  ASSERT_EQ(file.code, kExitOk) << file.err;
  EXPECT_EQ(file.out, def.out);
}

TEST(Cli, InvalidBoardFileExitsWithConfigCodeAndNamesTheFile) {
  Outcome o = runCli({"board", "tests/hal/board/malformed/wrong_type.toml"});
  EXPECT_EQ(o.code, kExitConfigInvalid);
  EXPECT_EQ(o.err.rfind("tests/hal/board/malformed/wrong_type.toml:", 0), 0u) << o.err;
  EXPECT_TRUE(o.out.empty());

  Outcome missing = runCli({"board", "board/no-such-board.toml"});
  EXPECT_EQ(missing.code, kExitConfigInvalid);
  EXPECT_NE(missing.err.find("board/no-such-board.toml"), std::string::npos) << missing.err;
}

TEST(Cli, InventoryReadsTheGivenSysfsRoot) {
  Outcome o = runCli({"inventory", "--sysfs-root", "/nonexistent/edgert-sysfs"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.out.rfind("board: host-sim\n", 0), 0u);
  EXPECT_NE(o.out.find("\nOpenCL:\n"), std::string::npos);
  EXPECT_NE(o.out.find("\nThermal:\n  none\n"), std::string::npos);
  EXPECT_NE(o.out.find("\nWatchdog:\n  none\n"), std::string::npos);
}

}  // namespace
}  // namespace edgert::cli
