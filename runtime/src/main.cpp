// edgert: the device executable. Everything lives in the runtime library; see cli.cpp.
#include "edgert/base/log.hpp"
#include "edgert/runtime/cli.hpp"

int main(int argc, char** argv) {
  edgert::log::configureFromEnvironment();
  const int code = edgert::cli::run(argc, argv);
  edgert::log::flushSuppressed();
  return code;
}
