// The `edgert` command line: one entry point, a table of subcommands. It lives in the
// runtime library (not in main.cpp) so tests run it in-process with captured output.
#pragma once

#include <cstdio>

namespace edgert::cli {

// Exit codes, from sysexits.h so that systemd units and scripts can tell a bad config
// (do not restart) from a runtime failure (restart). Documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // a runtime failure
inline constexpr int kExitUsage = 64;        // EX_USAGE: bad command line
inline constexpr int kExitDataInvalid = 65;  // EX_DATAERR: invalid input data (model image)
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: a required device is missing
inline constexpr int kExitConfigInvalid = 78;  // EX_CONFIG: invalid board or config file

struct Io {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

// Runs `edgert argv[1..]`; returns the process exit code.
int run(int argc, char** argv, Io io = {});

}  // namespace edgert::cli
