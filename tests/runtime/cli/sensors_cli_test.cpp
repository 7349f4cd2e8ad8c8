// `edgert sensors` run in-process on the committed fixture trees.
#include "edgert/runtime/cli.hpp"

#include "cli_runner.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace edgert::cli {
namespace {

using test::Outcome;
using test::runCli;

const std::string kSource = EDGERT_SOURCE_DIR;
std::string fixture(const std::string& board) {
  return kSource + "/tests/hal/sensors/fixtures/" + board + "/sys";
}
std::string boardFile(const std::string& board) { return kSource + "/board/" + board + ".toml"; }

int countLines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

TEST(SensorsCli, JsonOnTheOrinNanoFixture) {
  Outcome o = runCli({"sensors", "--board", boardFile("jetson-orin-nano"), "--sysfs-root",
                      fixture("jetson-orin-nano"), "--json", "--count", "3", "--interval", "5"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(countLines(o.out), 3) << o.out;
  // The first line printed is time zero. It is sample 1 unless the machine is so slow (qemu
  // under load, 5 ms interval) that the sampler moved on before the CLI looked: the CLI
  // prints the latest sample, as a monitor should.
  const std::string first = o.out.substr(0, o.out.find('\n'));
  EXPECT_EQ(first.rfind("{\"seq\":", 0), 0u) << o.out;
  EXPECT_NE(first.find(",\"t_ms\":0.000,"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"rails\":[{\"name\":\"VDD_IN\",\"state\":\"ok\",\"mv\":5072,\"ma\":1306,\"mw\":6624,"),
            std::string::npos) << o.out;
  EXPECT_NE(o.out.find("{\"name\":\"VDD_SOC\",\"state\":\"ok\",\"mv\":5064,\"ma\":470,\"mw\":2380,"),
            std::string::npos);
  EXPECT_NE(o.out.find("{\"type\":\"tj-thermal\",\"zone\":\"thermal_zone8\",\"state\":\"ok\",\"celsius\":50.562}"),
            std::string::npos);
  EXPECT_NE(o.out.find("\"opencl\":{\"available\":false,\"detail\":\"NVIDIA ships CUDA"), std::string::npos);
}

TEST(SensorsCli, TegrastatsLikeLineAndOpenClStatus) {
  Outcome o = runCli({"sensors", "--board", boardFile("jetson-agx-orin"), "--sysfs-root",
                      fixture("jetson-agx-orin"), "--count", "1"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.out.rfind("OpenCL: unavailable: NVIDIA ships CUDA", 0), 0u) << o.out;
  EXPECT_NE(o.out.find(",off] GR3D_FREQ 100%@1300 cpu@50.1C"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(" VDDQ_VDD2_1V8AO 700mW/700mW total 6994mW/6994mW energy 0.0mJ\n"), std::string::npos)
      << o.out;
}

TEST(SensorsCli, ProblemsFoundAtStartAreSaidOnce) {
  Outcome o = runCli({"sensors", "--board", boardFile("generic-arm64-mali"), "--sysfs-root",
                      fixture("generic-arm64-mali"), "--count", "2", "--interval", "5"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(countLines(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("edgert sensors: warning: gpu: cannot open "), std::string::npos) << o.err;
}

TEST(SensorsCli, ProcfsRootCanBeGivenApart) {
  Outcome o = runCli({"sensors", "--board", boardFile("host-sim"), "--sysfs-root", fixture("host-sim"),
                      "--procfs-root", "/nonexistent/proc", "--count", "1", "--json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.err.find("cpu: cannot open /nonexistent/proc/stat"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("\"cpu\":{\"state\":\"missing\""), std::string::npos) << o.out;
}

TEST(SensorsCli, BadArgumentsAndBoards) {
  EXPECT_EQ(runCli({"sensors", "--interval", "0"}).code, kExitUsage);
  EXPECT_EQ(runCli({"sensors", "--interval", "fast"}).code, kExitUsage);
  EXPECT_EQ(runCli({"sensors", "--count", "-1"}).code, kExitUsage);
  EXPECT_EQ(runCli({"sensors", "extra"}).code, kExitUsage);
  Outcome bad = runCli({"sensors", "--board", kSource + "/tests/hal/board/malformed/wrong_type.toml"});
  EXPECT_EQ(bad.code, kExitConfigInvalid);
  Outcome help = runCli({"help", "sensors"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_NE(help.out.find("--count N"), std::string::npos);
}

}  // namespace
}  // namespace edgert::cli
