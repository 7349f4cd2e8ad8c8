# Cross-compiling for aarch64 with Debian's crossbuild-essential-arm64 and multiarch
# :arm64 -dev packages (installed by toolchain/bootstrap.sh). Libraries and their CMake /
# pkg-config files live under /usr/lib/aarch64-linux-gnu; the amd64 ones are kept out.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Never pick up a host (amd64) library or package config by accident.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
                      /usr/lib/x86_64-linux-gnu/cmake)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Tests (and anything else CMake runs) go through user-mode QEMU. No -L prefix: the
# binaries run on the multiarch libc6:arm64 (/lib/ld-linux-aarch64.so.1), the same libc
# they link against. The older libc in /usr/aarch64-linux-gnu (libc6-arm64-cross
# 2.36-8cross1) hangs in pthread_create under Debian 12's qemu-aarch64 7.2, so `-L
# /usr/aarch64-linux-gnu` is fine for single-threaded programs only.
find_program(EDGERT_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGERT_QEMU_AARCH64}")
