#!/usr/bin/env bash
# The virtual board: boots Debian's own kernel in QEMU (TCG, no KVM) with an initramfs that
# holds busybox, the kernel modules the tests need (vivid, softdog, virtio-gpu, vgem) and
# edgert's test binaries with their shared libraries, runs the tests on the real drivers
# and reports one line per test. Everything comes from Debian's package registry: the
# kernel and (for aarch64) busybox packages are fetched with `apt-get download`, which
# checks them against the signed archive index, and kept in .cache/vboard/.
#
#   tests/vboard/vboard.sh --arch x86_64|aarch64 [--timeout S] [--keep DIR] BINARY...
#
# Each BINARY is a GoogleTest executable built for --arch; the guest runs them in order
# (tests/vboard/init.sh) and prints "vboard: PASS|FAIL <suite.test>" per test and a last
# "vboard: done P passed F failed" line. Exit status: 0 when every test passed, 1 when one
# failed or the guest did not finish, 77 (ctest's skip code) with the reason when QEMU or
# the kernel package cannot be had.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
arch="" timeout_s=150 keep=""
binaries=()
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "vboard: unknown option $1" >&2; exit 64 ;;
    *) binaries+=("$(realpath "$1")"); shift ;;
  esac
done
skip() { echo "vboard: SKIP ($arch): $*"; exit 77; }
die() { echo "vboard: error ($arch): $*" >&2; exit 1; }

case $arch in
  x86_64) deb_arch=amd64; qemu=qemu-system-x86_64; triplet=x86_64-linux-gnu
          console=ttyS0; strip_tool=strip
          qemu_args=(-accel tcg -cpu max -smp 1) ;;
  aarch64) deb_arch=arm64; qemu=qemu-system-aarch64; triplet=aarch64-linux-gnu
           console=ttyAMA0; strip_tool=aarch64-linux-gnu-strip
           qemu_args=(-M virt -cpu cortex-a57 -smp 1) ;;
  *) echo "vboard: --arch x86_64 or aarch64" >&2; exit 64 ;;
esac
[ ${#binaries[@]} -gt 0 ] || { echo "vboard: no test binaries given" >&2; exit 64; }

command -v "$qemu" >/dev/null || skip "$qemu is not installed (Debian package qemu-system-x86 / qemu-system-arm)"
for tool in cpio depmod readelf gzip; do
  command -v $tool >/dev/null || skip "$tool is not installed"
done
command -v "$strip_tool" >/dev/null || strip_tool=""

# --- the kernel package (and busybox for the guest's architecture) -------------------------
cache="$root/.cache/vboard/$deb_arch"
mkdir -p "$cache"
fetch_pkg() {  # fetch_pkg PACKAGE DIR: downloads PACKAGE's .deb once and unpacks it in DIR
  local pkg=$1 dir=$2
  [ -f "$dir/.unpacked" ] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>"$dir.log"); then
    cat "$dir.log" >&2
    return 1
  fi
  dpkg -x "$cache"/"$(echo "${pkg%%:*}" )"_*_"$deb_arch".deb "$dir"
  rm -f "$cache"/"${pkg%%:*}"_*_"$deb_arch".deb
  touch "$dir/.unpacked"
}
abi_pkg=$(apt-cache depends "linux-image-$deb_arch:$deb_arch" 2>/dev/null |
          awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$abi_pkg" ] || skip "apt does not know linux-image-$deb_arch (add the $deb_arch architecture: dpkg --add-architecture $deb_arch && apt-get update)"
kdir="$cache/${abi_pkg%%:*}"
fetch_pkg "$abi_pkg" "$kdir" || skip "apt-get download $abi_pkg failed (no access to the Debian archive?)"
kver=$(ls "$kdir/lib/modules" | head -1)
if [ "$arch" = x86_64 ]; then kernel="$kdir/boot/vmlinuz-$kver"; else kernel="$kdir/boot/vmlinuz-$kver"; fi
[ -f "$kernel" ] || die "no kernel image in $abi_pkg (looked for $kernel)"

if [ "$arch" = x86_64 ] && [ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked'; then
  busybox=/bin/busybox
else
  bbdir="$cache/busybox-static"
  fetch_pkg "busybox-static:$deb_arch" "$bbdir" || skip "apt-get download busybox-static:$deb_arch failed"
  busybox="$bbdir/bin/busybox"
fi

# --- the initramfs -------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/edgert-vboard.XXXXXX")
cleanup() { if [ -n "$keep" ]; then mkdir -p "$keep" && cp -a "$work/." "$keep/"; fi; rm -rf "$work"; }
trap cleanup EXIT
ir="$work/root"
mkdir -p "$ir"/{bin,dev,proc,sys,tmp,run,vboard/tests,lib/modules/$kver}
cp "$busybox" "$ir/bin/busybox"
cp "$here/init.sh" "$ir/init"
chmod +x "$ir/init"

# Kernel modules: the ones the tests load, with everything they depend on (modinfo), then
# depmod so that busybox's modprobe resolves them.
mods="$kdir/lib/modules/$kver"
declare -A modfile=() seen=()
while IFS= read -r f; do
  n=$(basename "$f"); n=${n%%.ko*}; modfile[${n//-/_}]=$f
done < <(find "$mods/kernel" -name '*.ko*')
add_module() {
  local name=${1//-/_} f dep
  [ -n "${seen[$name]:-}" ] && return 0
  seen[$name]=1
  f=${modfile[$name]:-}
  [ -n "$f" ] || return 0   # built into this kernel
  mkdir -p "$ir/lib/modules/$kver/$(dirname "${f#"$mods/"}")"
  cp "$f" "$ir/lib/modules/$kver/${f#"$mods/"}"
  for dep in $(modinfo -F depends "$f" | tr ',' ' '); do add_module "$dep"; done
}
for m in vivid softdog vgem virtio_gpu virtio_pci; do add_module $m; done
cp "$mods"/modules.order "$mods"/modules.builtin* "$ir/lib/modules/$kver/"
depmod -b "$ir" "$kver"

# Binaries with their shared libraries and the dynamic loader, found through readelf.
libdirs=("/usr/lib/$triplet" "/lib/$triplet" "/usr/$triplet/lib")
declare -A copied=()
copy_lib() {
  local name=$1 d p
  [ -n "${copied[$name]:-}" ] && return 0
  for d in "${libdirs[@]}"; do
    p="$d/$name"
    if [ -e "$p" ]; then
      copied[$name]=1
      mkdir -p "$ir/lib/$triplet"
      cp -L "$p" "$ir/lib/$triplet/$name"
      copy_needed "$ir/lib/$triplet/$name"
      return 0
    fi
  done
  die "shared library $name not found in ${libdirs[*]}"
}
copy_needed() {
  local lib
  for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do copy_lib "$lib"; done
}
for b in "${binaries[@]}"; do
  [ -x "$b" ] || die "test binary $b does not exist (build it first)"
  cp "$b" "$ir/vboard/tests/"
  copy_needed "$b"
  interp=$(readelf -l "$b" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  if [ -n "$interp" ] && [ ! -e "$ir$interp" ]; then
    mkdir -p "$ir$(dirname "$interp")"
    cp -L "$(for d in "${libdirs[@]}"; do [ -e "$d/$(basename "$interp")" ] && echo "$d/$(basename "$interp")" && break; done)" "$ir$interp"
  fi
done
# Libraries edgert opens with dlopen when first needed (base/shared_library.hpp), which
# no NEEDED entry names: the cameras' libv4l2, the image sources' libpng, and the bundles'
# libarchive and libcrypto.
for lib in libv4l2.so.0 libpng16.so.16 libarchive.so.13 libcrypto.so.3; do copy_lib "$lib"; done
if [ -n "$strip_tool" ]; then
  find "$ir/vboard/tests" "$ir/lib/$triplet" -type f -exec "$strip_tool" --strip-debug {} + 2>/dev/null || true
fi
ln -s "lib/$triplet" "$ir/lib64" 2>/dev/null || true
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz")

# --- boot ----------------------------------------------------------------------------------
log="$work/console.log"
echo "vboard: booting $abi_pkg ($kver) on $qemu with ${#binaries[@]} test binaries"
start=$(date +%s)
set +e
timeout --foreground -k 5 "$timeout_s" "$qemu" "${qemu_args[@]}" -m 768 -nographic -no-reboot \
  -device virtio-gpu-pci -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append "console=$console quiet panic=-1 loglevel=3" </dev/null >"$log" 2>&1
qemu_status=$?
set -e
tr -d '\r' <"$log" | grep -E '^(vboard|\[ *(RUN|OK|FAILED|SKIPPED) *\]|.*Failure|Expected|  Actual|Which is|Value of|.*error)' || true
took=$(( $(date +%s) - start ))
summary=$(tr -d '\r' <"$log" | sed -n 's/^vboard: done \([0-9]*\) passed \([0-9]*\) failed.*/\1 \2/p' | tail -1)
if [ -z "$summary" ]; then
  echo "vboard: the guest did not finish (qemu exit $qemu_status after ${took} s); console tail:"
  tr -d '\r' <"$log" | tail -40
  exit 1
fi
read -r passed failed <<<"$summary"
echo "vboard: $arch: $passed passed, $failed failed in ${took} s"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
