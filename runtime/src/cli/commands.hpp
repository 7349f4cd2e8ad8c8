// Internal to the CLI: the subcommand table and the argument reader each command uses.
#pragma once

#include "edgert/runtime/cli.hpp"

#include <fmt/format.h>

#include <getopt.h>
#include <signal.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgert::cli {

// A subcommand's arguments: argv[0] is the command name, as getopt_long expects.
struct Args {
  int argc;
  char** argv;
};

struct Command {
  std::string_view name;
  std::string_view synopsis;  // arguments, as shown in --help
  std::string_view summary;   // one line
  std::string_view details;   // the options, for `edgert help NAME`
  int (*run)(Args args, Io io);
  bool internal = false;      // used by edgert itself (bench's cold-start child): not listed
};

int runVersion(Args args, Io io);
int runBoard(Args args, Io io);
int runInventory(Args args, Io io);
int runInfer(Args args, Io io);
int runInspect(Args args, Io io);
int runBench(Args args, Io io);
int runBenchCold(Args args, Io io);
int runSensors(Args args, Io io);
int runCameraTest(Args args, Io io);
int runService(Args args, Io io);
int runUpdate(Args args, Io io);
int runHealth(Args args, Io io);

}  // namespace edgert::cli
namespace edgert {
class Model;
}
namespace edgert::cli {

// The kernels a loaded model runs on this CPU, counted by variant, and where the image
// carries alternatives for other instruction sets, how many ops had them: "kernels: 39 ops:
// 24 avx512-pointwise, 12 avx512-dw3x3, 3 ref; picked on this CPU from the alternatives of
// 38 ops (an image for any CPU)". For inspect and bench (cmd_infer.cpp).
std::string describeKernelChoice(const Model& model);

// Parses options with getopt_long (state reset on each call; errors are reported by the
// caller, not printed by getopt). Returns kExitOk, or kExitUsage after printing why.
struct OptionSpec {
  const char* name;
  bool takesValue;
  std::optional<std::string>* value;           // set when the option is given (last wins)
  std::vector<std::string>* values = nullptr;  // instead: every occurrence, in order
};
int parseOptions(Args args, Io io, const std::vector<OptionSpec>& specs,
                 std::vector<std::string>& positionals);

// A whole decimal number in [min, max].
bool parseInteger(const std::string& text, long min, long max, long& out);

// While alive, SIGINT and SIGTERM set stopRequested() instead of killing the process (a loop
// finishes its current step and returns); the previous handlers are restored on return.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction oldInt_ {};
  struct sigaction oldTerm_ {};
};
bool stopRequested();

template <typename... T>
void print(std::FILE* f, fmt::format_string<T...> format, T&&... args) {
  fmt::print(f, format, std::forward<T>(args)...);
}

}  // namespace edgert::cli
