#include "commands.hpp"

#include "edgert/kernels/cpu_features.hpp"
#include "edgert/runtime/build_info.hpp"

namespace edgert::cli {

int runVersion(Args args, Io io) {
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io, {}, positionals); rc != kExitOk) return rc < 0 ? kExitOk : rc;
  if (!positionals.empty()) {
    print(io.err, "edgert version: takes no arguments, found '{}'\n", positionals[0]);
    return kExitUsage;
  }
  const BuildInfo& info = buildInfo();
  print(io.out, "edgert {}\n", info.version);
  print(io.out, "git revision: {}\n", info.gitRevision);
  // The architecture the compiler actually targeted, not only what CMake was told.
  print(io.out, "target: {}\n", kernels::compiledArch());
  print(io.out, "build type: {}\n", info.buildType);
#if defined(__clang__)
  print(io.out, "compiler: clang {}\n", __clang_version__);
#else
  print(io.out, "compiler: GCC {}\n", __VERSION__);
#endif
  print(io.out, "cpu features: {}\n", kernels::describe(kernels::cpuFeatures()));
  return kExitOk;
}

}  // namespace edgert::cli
