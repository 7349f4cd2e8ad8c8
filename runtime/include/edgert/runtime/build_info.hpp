#pragma once

namespace edgert {

// What was built, as compiled into this binary (see toolchain/cmake/GenBuildInfo.cmake).
struct BuildInfo {
  const char* version;        // project version, e.g. "0.1.0"
  const char* gitRevision;    // `git describe --always --dirty` at build time, or "unknown"
  const char* targetArch;     // CMAKE_SYSTEM_PROCESSOR of the build: x86_64, aarch64
  const char* buildType;      // CMAKE_BUILD_TYPE, plus "+sanitizers" when instrumented
};

const BuildInfo& buildInfo();

}  // namespace edgert
