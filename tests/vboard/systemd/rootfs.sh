#!/usr/bin/env bash
# Builds (once) and caches a Debian 12 (bookworm) root filesystem with systemd for the
# systemd virtual board (tests/vboard/systemd/boot.sh boots it in QEMU, TCG).
#
#   tests/vboard/systemd/rootfs.sh --arch x86_64|aarch64 [--packages "pkg1 pkg2 ..."] [--cache DIR]
#
# The rootfs is made with `mmdebstrap --variant=minbase` from Debian's registry and holds
# systemd, systemd-sysv, udev, dbus, kmod and the given packages. Debian's kernel is kept
# out of it (no linux-image, update-initramfs diverted to /bin/true): the kernel and the
# module trees the tests need (vivid, softdog, virtio-gpu/vgem, virtio, ext4, ...) come from
# the linux-image package fetched with `apt-get download` and unpacked on the host; depmod
# runs on the host. The device is offline: the rootfs has no apt sources, so `apt-get
# install ./x.deb` inside it can only use what is installed.
#
# Cache (default ${EDGERT_VBOARD_CACHE:-/var/cache/edgert-vboard}, outside the clone):
#   rootfs/<arch>-<key>/   key = sha256 of arch, sorted package list, kernel package and
#                          version, and this script's content; holds rootfs/ (a folder,
#                          or rootfs.tar.zst with EDGERT_VBOARD_ROOTFS_FORMAT=tar), vmlinuz,
#                          kver and info. Reused when the key matches.
#   debs/<debarch>/        the .debs mmdebstrap downloaded (reused by the next build)
#   kernel/<pkg>_<ver>/    the unpacked linux-image package
# The last line on stdout is the entry's folder: pass it (or its key) to boot.sh
# --rootfs-from. Progress and timings go to stderr.
#
# Exit status: 0 ready, 77 (skip) with a "SKIP: why" line when a host tool or Debian's
# registry cannot be had, 1 on any other error, 64 on bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
arch="" extra="" cache="${EDGERT_VBOARD_CACHE:-/var/cache/edgert-vboard}"
format="${EDGERT_VBOARD_ROOTFS_FORMAT:-dir}"
# The mirrors: this machine's own apt sources for bookworm and bookworm-security (the
# registry as set up here), unless given.
host_repo() {  # host_repo SUITE: the URI of the host's apt source for SUITE, or nothing
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
    awk -v s="$1" '$2 == s { sub(/\/$/, "", $1); print $1; exit }'
}
mirror="${EDGERT_VBOARD_MIRROR:-$(host_repo bookworm)}"
security_mirror="${EDGERT_VBOARD_SECURITY_MIRROR:-$(host_repo bookworm-security)}"
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --packages) extra="$extra $2"; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "rootfs.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
say() { echo "rootfs.sh: $*" >&2; }
skip() { echo "SKIP: rootfs.sh ($arch): $*"; exit 77; }
die() { echo "rootfs.sh: error ($arch): $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

case $arch in
  x86_64) deb_arch=amd64 ;;
  aarch64) deb_arch=arm64 ;;
  *) echo "rootfs.sh: --arch x86_64 or aarch64" >&2; exit 64 ;;
esac
case $format in dir|tar) ;; *) die "EDGERT_VBOARD_ROOTFS_FORMAT must be dir or tar" ;; esac
[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap --mode=root, chroot, depmod of a root-owned tree)"

# The package list: the base set plus --packages, sorted, without duplicates.
base="systemd systemd-sysv udev dbus kmod"
packages=$(echo "$base $extra" | tr -s ', ' '\n' | sed '/^$/d' | LC_ALL=C sort -u | tr '\n' ' ')
packages=${packages% }
for p in $packages; do
  case $p in
    linux-image*|initramfs-tools*) die "$p must not be in the rootfs: the kernel comes from the unpacked linux-image package" ;;
  esac
done

# --- host tools ------------------------------------------------------------------------
host_arch=$(dpkg --print-architecture)
need=(mmdebstrap:mmdebstrap mke2fs:e2fsprogs depmod:kmod modinfo:kmod zstd:zstd)
if [ "$deb_arch" != "$host_arch" ]; then
  need+=(qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support arch-test:arch-test)
fi
missing=()
for n in "${need[@]}"; do command -v "${n%%:*}" >/dev/null || missing+=("${n#*:}"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing host packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    skip "could not install host packages ${missing[*]} (apt-get install failed)"
fi

# arm64 chroots run through qemu-user binfmt. PID 1 here is not systemd, so nothing
# registers the handlers at boot: mount binfmt_misc and enable qemu-aarch64 ourselves.
if [ "$deb_arch" != "$host_arch" ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      skip "cannot mount binfmt_misc (needed to run arm64 programs through qemu-user)"
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >&2 ||
    skip "update-binfmts --enable qemu-aarch64 failed"
  arch-test "$deb_arch" >/dev/null 2>&1 || skip "arch-test $deb_arch fails: arm64 binaries do not run through qemu-user"
fi

# --- the kernel package ---------------------------------------------------------------
abi_pkg=$(apt-cache depends "linux-image-$deb_arch:$deb_arch" 2>/dev/null |
          awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
abi_pkg=${abi_pkg%%:*}
[ -n "$abi_pkg" ] || skip "apt does not know linux-image-$deb_arch:$deb_arch (dpkg --add-architecture $deb_arch && apt-get update)"
abi_ver=$(apt-cache show "$abi_pkg:$deb_arch" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
[ -n "$abi_ver" ] || skip "apt-cache show $abi_pkg:$deb_arch gives no version"

# --- the cache key ---------------------------------------------------------------------
key=$(printf 'arch=%s\npackages=%s\nkernel=%s %s\nscript=%s\n' "$arch" "$packages" \
        "$abi_pkg" "$abi_ver" "$(sha256sum <"$self" | cut -d' ' -f1)" |
      sha256sum | cut -c1-16)
entry="$cache/rootfs/$arch-$key"
mkdir -p "$cache/rootfs" "$cache/debs/$deb_arch" "$cache/kernel"
say "arch $arch, packages: $packages"
say "kernel $abi_pkg $abi_ver; cache key $key"

# One build per key at a time (two CI jobs on the same machine wait for each other).
exec 9>"$cache/rootfs/.$arch-$key.lock"
flock 9
if [ -f "$entry/info" ]; then
  touch "$entry"
  say "cached: $entry ($(sed -n 's/^format=//p' "$entry/info"), $(du -sh "$entry" | cut -f1))"
  echo "$entry"
  exit 0
fi

t_all=$(now)
work=$(mktemp -d "$cache/rootfs/.build-$arch-$key.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The kernel: downloaded once, unpacked once, kept.
kdir="$cache/kernel/${abi_pkg}_${abi_ver}_$deb_arch"
if [ ! -f "$kdir/.unpacked" ]; then
  t=$(now)
  rm -rf "$kdir" && mkdir -p "$kdir.dl"
  if ! (cd "$kdir.dl" && apt-get download -q "$abi_pkg:$deb_arch=$abi_ver" >"$work/kernel-download.log" 2>&1); then
    cat "$work/kernel-download.log" >&2
    rm -rf "$kdir.dl"
    skip "apt-get download $abi_pkg:$deb_arch failed (Debian's registry unreachable? stale lists: apt-get update)"
  fi
  dpkg -x "$kdir.dl"/*.deb "$kdir"
  rm -rf "$kdir.dl"
  touch "$kdir/.unpacked"
  say "kernel package downloaded and unpacked in $(since "$t") s"
fi
kver=$(ls "$kdir/lib/modules" | head -1)
[ -f "$kdir/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $abi_pkg"

# --- mmdebstrap ------------------------------------------------------------------------
# - Debian's initramfs is kept out: if some package pulls in initramfs-tools, its
#   update-initramfs is diverted to /bin/true before anything is configured.
# - The .debs are kept in $cache/debs/<arch> (sync-in before, sync-out after), so a rebuild
#   downloads only what changed.
# - merged /usr as a Debian 12 installation has it, through usr-is-merged (the default would
#   pull in usrmerge and perl, 35 MB); eatmydata while installing (no fsync: faster, above
#   all for arm64 under qemu-user).
# - Docs, man pages and translations are never unpacked (this stays in dpkg.cfg.d, so
#   packages installed later in boot.sh are trimmed alike).
rootfs="$work/rootfs"
t=$(now)
[ -n "$mirror" ] && [ -n "$security_mirror" ] ||
  skip "this machine's apt sources name no bookworm and bookworm-security repositories (set EDGERT_VBOARD_MIRROR and EDGERT_VBOARD_SECURITY_MIRROR)"
say "mmdebstrap ($deb_arch) from $mirror ... (log: $work/mmdebstrap.log while it runs)"
if ! mmdebstrap --mode=root --variant=minbase --architectures="$deb_arch" \
     --include="$(echo "$packages" | tr ' ' ,)" \
     --aptopt='Acquire::Check-Valid-Until "false"' \
     --aptopt='Acquire::Languages "none"' \
     --dpkgopt='path-exclude=/usr/share/doc/*' \
     --dpkgopt='path-include=/usr/share/doc/*/copyright' \
     --dpkgopt='path-exclude=/usr/share/man/*' \
     --dpkgopt='path-exclude=/usr/share/info/*' \
     --dpkgopt='path-exclude=/usr/share/locale/*' \
     --dpkgopt='path-exclude=/usr/share/lintian/*' \
     --skip=essential/unlink \
     --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
     --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
     --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
     --setup-hook="sync-in $cache/debs/$deb_arch /var/cache/apt/archives/" \
     --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -sf /bin/true "$1"/usr/sbin/update-initramfs' \
     --customize-hook="sync-out /var/cache/apt/archives $cache/debs/$deb_arch" \
     bookworm "$rootfs" \
     "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
     "deb $security_mirror bookworm-security main" >"$work/mmdebstrap.log" 2>&1; then
  tail -30 "$work/mmdebstrap.log" >&2
  if grep -qE 'Could not resolve|Failed to fetch|Temporary failure|Could not connect|Unable to connect|Connection (failed|refused|timed out)' "$work/mmdebstrap.log"; then
    skip "mmdebstrap could not reach Debian's registry ($mirror)"
  fi
  die "mmdebstrap failed (see the log above)"
fi
rm -rf "$cache/debs/$deb_arch/lock" "$cache/debs/$deb_arch/partial"
t_mmdebstrap=$(since "$t")
say "mmdebstrap took $t_mmdebstrap s"

# --- kernel modules --------------------------------------------------------------------
# The trees the tests use (vivid and the v4l2/videobuf2/media-controller core, virtio-gpu,
# vgem, vkms where built, virtio, ext4), the modules systemd/udev load at boot, and everything
# those depend on (modinfo), then depmod for this rootfs. Hardware drivers (amdgpu, i915, DVB,
# USB cameras, ...) stay out: QEMU has no such devices and they are ~60 MB.
t=$(now)
kmods="$kdir/lib/modules/$kver"
rmods="$rootfs/lib/modules/$kver"
trees=(kernel/drivers/media/test-drivers kernel/drivers/media/v4l2-core kernel/drivers/media/mc
       kernel/drivers/media/common/videobuf2 kernel/drivers/gpu/drm/virtio kernel/drivers/gpu/drm/vgem
       kernel/drivers/gpu/drm/vkms kernel/drivers/virtio kernel/fs/ext4)
named=(softdog virtio_blk virtio_pci virtio_mmio virtio_gpu vgem virtio_rng virtio_console
       ext4 crc32c_generic autofs4 fuse loop configfs efivarfs)
case $arch in x86_64) named+=(crc32c_intel) ;; aarch64) named+=(crc32_ce) ;; esac
declare -A modfile=() seen=()
while IFS= read -r f; do
  n=${f##*/}; n=${n%%.ko*}; modfile[${n//-/_}]=$f
done < <(find "$kmods/kernel" -name '*.ko*')
add_module() {  # add_module NAME: copies NAME's .ko and its dependencies into the rootfs
  local name=${1//-/_} f dep
  [ -n "${seen[$name]:-}" ] && return 0
  seen[$name]=1
  f=${modfile[$name]:-}
  [ -n "$f" ] || return 0   # built into this kernel (or not built for this architecture)
  mkdir -p "$rmods/$(dirname "${f#"$kmods/"}")"
  cp "$f" "$rmods/${f#"$kmods/"}"
  for dep in $(modinfo -F depends "$f" | tr ',' ' '); do add_module "$dep"; done
}
for tree in "${trees[@]}"; do
  while IFS= read -r f; do
    n=${f##*/}; add_module "${n%%.ko*}"
  done < <(find "$kmods/$tree" -name '*.ko*' 2>/dev/null)
done
for m in "${named[@]}"; do add_module "$m"; done
cp "$kmods"/modules.order "$kmods"/modules.builtin* "$rmods/"
depmod -b "$rootfs" "$kver"
nmods=$(find "$rmods" -name '*.ko*' | wc -l)
say "kernel modules: $nmods of $(find "$kmods" -name '*.ko*' | wc -l), $(du -sh "$rmods" | cut -f1), in $(since "$t") s"

# --- the offline device's configuration -------------------------------------------------
cfg() { mkdir -p "$(dirname "$rootfs/$1")"; cat >"$rootfs/$1"; }
: >"$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
echo edgert-vboard >"$rootfs/etc/hostname"
cfg etc/hosts <<'EOF'
127.0.0.1	localhost
127.0.1.1	edgert-vboard
::1		localhost ip6-localhost ip6-loopback
EOF
# No login prompt on the serial console (it would mix with the tests' output); the
# offline device runs no apt timers; e2scrub_reap (LVM snapshots, none here) costs ~6 s of
# the single emulated CPU at boot.
for unit in serial-getty@.service getty@.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_reap.service e2scrub_all.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# The board's display driver is loaded early (on a Jetson it is built in), so /dev/dri/card0
# exists before multi-user.target instead of whenever udev's coldplug gets to it (~20 s
# into an arm64 boot under TCG). vivid (the camera) is boot.sh's choice (--no-vivid).
echo virtio_gpu >"$rootfs/etc/modules-load.d/vboard-gpu.conf"
passwd -R "$rootfs" -d root >/dev/null 2>&1 || sed -i 's/^root:[^:]*:/root::/' "$rootfs/etc/shadow"
# /etc/machine-id is left empty (mmdebstrap's cleanup): systemd makes a transient one at
# each boot and runs no first-boot wizard.

# --- store -----------------------------------------------------------------------------
t=$(now)
mkdir -p "$work/entry"
cp "$kdir/boot/vmlinuz-$kver" "$work/entry/vmlinuz"
echo "$kver" >"$work/entry/kver"
size_tree=$(du -sh "$rootfs" | cut -f1)
if [ "$format" = tar ]; then
  tar -C "$rootfs" --numeric-owner --xattrs --xattrs-include='*' -cf - . |
    zstd -q -T0 -3 -o "$work/entry/rootfs.tar.zst"
  rm -rf "$rootfs"
else
  mv "$rootfs" "$work/entry/rootfs"
fi
cat >"$work/entry/info" <<EOF
arch=$arch
key=$key
packages=$packages
kernel=$abi_pkg $abi_ver
kver=$kver
format=$format
rootfs_size=$size_tree
mmdebstrap_s=$t_mmdebstrap
cold_build_s=$(since "$t_all")
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
rm -rf "$entry"
mv "$work/entry" "$entry"
say "stored as $format in $(since "$t") s: rootfs $size_tree, entry $(du -sh "$entry" | cut -f1)"
say "cold build took $(since "$t_all") s"

# Old entries of this architecture: keep the three used last (boot.sh touches an entry).
ls -1dt "$cache/rootfs/$arch"-* 2>/dev/null | tail -n +4 | while IFS= read -r old; do
  say "removing old cache entry $old"
  rm -rf "$old" "$cache/rootfs/.$(basename "$old").lock"
done
echo "$entry"
