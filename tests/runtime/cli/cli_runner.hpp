// Runs the `edgert` command line in-process with captured output, for the CLI tests.
#pragma once

#include "edgert/runtime/cli.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace edgert::cli::test {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

inline std::string slurp(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

// `edgert args...`: the exit code and everything written to stdout and stderr.
inline Outcome runCli(std::vector<std::string> args) {
  args.insert(args.begin(), "edgert");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Io io{std::tmpfile(), std::tmpfile()};
  const int code = run(static_cast<int>(args.size()), argv.data(), io);
  Outcome o{code, "", ""};
  o.out = slurp(io.out);
  o.err = slurp(io.err);
  return o;
}

}  // namespace edgert::cli::test
