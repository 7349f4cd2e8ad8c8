#!/usr/bin/env bash
# Boots a cached Debian 12 rootfs (tests/vboard/systemd/rootfs.sh) under systemd in QEMU
# (TCG, no KVM) with a package under test installed, for x86_64 or aarch64.
#
#   tests/vboard/systemd/boot.sh --arch x86_64|aarch64 --rootfs-from KEY|DIR --deb FILE.deb
#       [--deb FILE.deb]... [--copy SRC:DEST]... [--timeout S] [--append "kernel args"]
#       [--log FILE] [--no-vivid] [--size MB] [--cache DIR] [--keep DIR] [--power-cuts MAX]
#
#   --rootfs-from  the folder rootfs.sh printed, or its key (<arch>-<hash> or <hash>)
#   --deb          installed with `apt-get install ./FILE.deb` in a chroot of a copy of the
#                  offline rootfs: its Depends must be met by what the rootfs holds
#                  (arm64 runs through qemu-user binfmt); no service is started there
#   --copy         copies SRC (file or folder) to DEST in the image (DEST ending in / means
#                  into that folder), after the install
#   --timeout      seconds QEMU may run (default 240), through `timeout`
#   --append       more kernel command line arguments
#   --log          where the serial console goes (default: a temporary file, shown in part
#                  when the guest fails); lines with "vboard-systemd:" are also printed here
#                  as they arrive, with the seconds since QEMU started
#   --no-vivid     do not configure vivid to load at boot (the default loads it with
#                  n_devs=1 node_types=0x1 through modules-load.d: a board with a camera)
#   --size         the ext4 image's size in MiB (default: the tree + 512 MiB, at least 1 GiB)
#   --keep DIR     keep the image, initramfs and log in DIR
#   --power-cuts MAX  power cuts on the guest's demand, up to MAX: a console line
#                  "vboard-systemd: mark cut K MS" makes the host kill QEMU with SIGKILL MS
#                  milliseconds later (no sync, no shutdown: the guest's page cache and the
#                  requests QEMU had not yet taken are lost), then boot the same disk image
#                  again. The log holds every launch, each begun by "vboard-systemd: host:
#                  launch N"; "vboard-systemd: host: cut K after MS ms" follows a cut.
#
# Steps and their seconds are printed: copy of the rootfs, apt-get install, copies, mke2fs,
# initramfs (cached in <cache>/initrd/), boot. The guest runs with -no-reboot, so a
# poweroff, a reboot, a panic (panic=-1) and a watchdog reset all end QEMU; the serial log
# tells them apart ("reboot: Power down" vs "reboot: Restarting system"). Exit status:
# QEMU's (0 after a poweroff or reset, 124 when the timeout hit), 77 with "SKIP: why" when a
# host tool is missing, 1 on a harness error (e.g. the .deb does not install), 64 on usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache="${EDGERT_VBOARD_CACHE:-/var/cache/edgert-vboard}"
arch="" from="" timeout_s=240 append="" log="" vivid=1 size_mb="" keep="" cuts_max=0
debs=() copies=()
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --rootfs-from) from=$2; shift 2 ;;
    --deb) debs+=("$(realpath "$2")"); shift 2 ;;
    --copy) copies+=("$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --log) log=$(realpath -m "$2"); shift 2 ;;
    --no-vivid) vivid=0; shift ;;
    --size) size_mb=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --keep) keep=$(realpath -m "$2"); shift 2 ;;
    --power-cuts) cuts_max=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "boot.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
say() { echo "boot.sh: $*"; }
skip() { echo "SKIP: boot.sh ($arch): $*"; exit 77; }
die() { echo "boot.sh: error ($arch): $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

case $arch in
  x86_64) deb_arch=amd64; qemu="qemu-system-x86_64"; console=ttyS0
          qemu_args=(-accel tcg -M q35 -cpu max -vga none) ;;   # no std VGA: virtio-gpu is the only card
  aarch64) deb_arch=arm64; qemu="qemu-system-aarch64"; console=ttyAMA0
           qemu_args=(-accel tcg -M virt -cpu cortex-a57) ;;
  *) echo "boot.sh: --arch x86_64 or aarch64" >&2; exit 64 ;;
esac
[ -n "$from" ] || { echo "boot.sh: --rootfs-from KEY|DIR is required (rootfs.sh prints it)" >&2; exit 64; }
[ ${#debs[@]} -gt 0 ] || { echo "boot.sh: --deb FILE.deb is required" >&2; exit 64; }
for d in "${debs[@]}"; do [ -f "$d" ] || die "no such .deb: $d"; done
[ "$(id -u)" = 0 ] || skip "needs root (chroot for apt-get, root-owned rootfs)"
command -v "$qemu" >/dev/null || skip "$qemu is not installed (Debian package qemu-system-x86 / qemu-system-arm)"
for tool in mke2fs cpio gzip timeout unshare modprobe; do
  command -v $tool >/dev/null || skip "$tool is not installed"
done

# --- the cached rootfs -----------------------------------------------------------------
if [ -f "$from/info" ]; then entry=$(cd "$from" && pwd)
elif [ -f "$cache/rootfs/$from/info" ]; then entry="$cache/rootfs/$from"
elif [ -f "$cache/rootfs/$arch-$from/info" ]; then entry="$cache/rootfs/$arch-$from"
else die "no cached rootfs '$from' (run tests/vboard/systemd/rootfs.sh --arch $arch first; it prints the folder)"
fi
grep -qx "arch=$arch" "$entry/info" || die "$entry is not a rootfs for $arch"
touch "$entry"   # rootfs.sh keeps the entries used last
kver=$(cat "$entry/kver")
kernel="$entry/vmlinuz"

# arm64: apt-get and the packages' maintainer scripts run through qemu-user binfmt.
if [ "$deb_arch" != "$(dpkg --print-architecture)" ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
    skip "cannot mount binfmt_misc"
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 ||
    skip "qemu-aarch64 binfmt cannot be enabled (packages qemu-user-static, binfmt-support)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/edgert-vboard-systemd.XXXXXX")
qpid="" cutter=""
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  [ -n "$cutter" ] && kill "$cutter" 2>/dev/null || true
  if [ -n "$keep" ]; then
    mkdir -p "$keep"
    for f in image.ext4 initrd.gz console.log apt.log; do [ -e "$work/$f" ] && cp --sparse=always "$work/$f" "$keep/"; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root="$work/root"
t_prep=$(now)

# --- 1. copy the cached rootfs ----------------------------------------------------------
t=$(now)
if [ -d "$entry/rootfs" ]; then
  cp -a "$entry/rootfs" "$root"
  how="cp -a of the folder"
elif [ -f "$entry/rootfs.tar.zst" ]; then
  mkdir "$root"
  zstd -dc "$entry/rootfs.tar.zst" | tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xf -
  how="tar.zst"
else
  die "$entry holds neither rootfs/ nor rootfs.tar.zst"
fi
say "rootfs $(basename "$entry") copied ($how) in $(since "$t") s"

# --- 2. install the .deb(s) offline -----------------------------------------------------
# In a private mount namespace, so /proc and /dev/pts vanish with it whatever happens;
# policy-rc.d forbids service starts (and no systemd runs in the chroot anyway).
t=$(now)
mkdir -p "$root/tmp/vboard-debs"
names=()
for d in "${debs[@]}"; do
  install -m 644 "$d" "$root/tmp/vboard-debs/"
  names+=("/tmp/vboard-debs/$(basename "$d")")
done
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
if ! unshare --mount --propagation private /bin/sh -ec '
      root=$1; shift
      mount -t proc proc "$root/proc"
      mount --bind /dev/pts "$root/dev/pts"
      chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        LC_ALL=C.UTF-8 apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "$@"' \
      sh "$root" "${names[@]}" >"$work/apt.log" 2>&1; then
  cat "$work/apt.log"
  die "apt-get install ${debs[*]##*/} failed in the offline $arch rootfs (unmet Depends? see above)"
fi
grep -E '^(Setting up|Unpacking) ' "$work/apt.log" | sed 's/^/boot.sh:   /' || true
rm -rf "$root/tmp/vboard-debs" "$root/usr/sbin/policy-rc.d" "$root"/var/cache/apt/*.bin \
       "$root"/var/cache/apt/archives/*.deb
say "apt-get install of ${#debs[@]} package(s) in $(since "$t") s"

# --- 3. extra files and the board's configuration ----------------------------------------
t=$(now)
for c in "${copies[@]}"; do
  src=${c%%:*} dest=${c#*:}
  [ "$src" != "$c" ] && [ -n "$dest" ] || die "--copy wants SRC:DEST, got '$c'"
  [ -e "$src" ] || die "--copy: no such file $src"
  case $dest in
    */) mkdir -p "$root$dest"; cp -a "$src" "$root$dest" ;;
    *) mkdir -p "$(dirname "$root$dest")"; cp -a "$src" "$root$dest" ;;
  esac
done
if [ "$vivid" = 1 ]; then
  echo vivid >"$root/etc/modules-load.d/vboard-vivid.conf"
  echo "options vivid n_devs=1 node_types=0x1" >"$root/etc/modprobe.d/vboard-vivid.conf"
fi
say "${#copies[@]} copies, vivid at boot: $([ "$vivid" = 1 ] && echo yes || echo no), in $(since "$t") s"

# --- 4. the disk image ----------------------------------------------------------------
t=$(now)
used_mb=$(du -sm "$root" | cut -f1)
[ -n "$size_mb" ] || size_mb=$(( used_mb + 512 < 1024 ? 1024 : used_mb + 512 ))
mke2fs -q -F -t ext4 -L vboard-root -d "$root" "$work/image.ext4" "${size_mb}M" >"$work/mke2fs.log" 2>&1 ||
  { cat "$work/mke2fs.log"; die "mke2fs failed"; }
say "image.ext4: $used_mb MiB in a $size_mb MiB ext4, made in $(since "$t") s"

# --- 5. the initramfs (cached: it depends on the kernel, busybox and initramfs-init.sh) --
t=$(now)
# One boot at a time fills these caches: run-scenarios.sh starts two boots at once, and on a
# fresh machine both found no busybox and one removed the download the other was reading.
mkdir -p "$cache"
exec 8>"$cache/.initramfs.lock"
flock 8
bbdir="$cache/busybox/$deb_arch"
if [ ! -f "$bbdir/.unpacked" ]; then
  rm -rf "$bbdir" "$bbdir.dl" && mkdir -p "$bbdir.dl"
  (cd "$bbdir.dl" && apt-get download -q "busybox-static:$deb_arch" >/dev/null 2>"$work/busybox.log") ||
    { cat "$work/busybox.log"; rm -rf "$bbdir.dl"; skip "apt-get download busybox-static:$deb_arch failed (Debian's registry unreachable?)"; }
  dpkg -x "$bbdir.dl"/*.deb "$bbdir"
  rm -rf "$bbdir.dl"
  touch "$bbdir/.unpacked"
fi
busybox="$bbdir/bin/busybox"
[ -x "$busybox" ] || die "no bin/busybox in busybox-static:$deb_arch"
# The modules that mounting the root needs, in load order, softdeps (crc32c) included.
mods=$(for m in virtio_pci virtio_mmio virtio_blk ext4; do
         modprobe -d "$root" -S "$kver" --show-depends "$m"
       done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
ikey=$( { echo "$kver"; cat "$here/initramfs-init.sh"; sha256sum "$busybox" | cut -d' ' -f1
          for f in $mods; do echo "${f#"$root"}"; sha256sum <"$f"; done; } | sha256sum | cut -c1-16)
initrd="$cache/initrd/$arch-$ikey.gz"
if [ ! -f "$initrd" ]; then
  ir="$work/initramfs"
  mkdir -p "$ir"/{bin,dev,proc,sys,tmp,newroot} "$cache/initrd"
  cp "$busybox" "$ir/bin/busybox"
  install -m 755 "$here/initramfs-init.sh" "$ir/init"
  : >"$ir/modules"
  for f in $mods; do
    rel=${f#"$root"}
    mkdir -p "$ir$(dirname "$rel")"
    cp "$f" "$ir$rel"
    echo "$rel" >>"$ir/modules"
  done
  (cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  say "initramfs built: $(du -h "$initrd" | cut -f1), $(echo "$mods" | wc -w) modules, in $(since "$t") s"
else
  say "initramfs cached: $initrd ($(du -h "$initrd" | cut -f1))"
fi
cp "$initrd" "$work/initrd.gz"
flock -u 8
exec 8>&-
rm -rf "$root"
say "per-boot preparation took $(since "$t_prep") s"

# --- 6. boot ---------------------------------------------------------------------------
[ -n "$log" ] || log="$work/console.log"
mkdir -p "$(dirname "$log")"
: >"$log"
cmdline="root=/dev/vda rw console=$console panic=-1 quiet${append:+ $append}"
qemu_cmd=("$qemu" "${qemu_args[@]}" -smp 1 -m 1024 -nographic -no-reboot -nic none
          -device virtio-gpu-pci -kernel "$kernel" -initrd "$work/initrd.gz" -append "$cmdline"
          -drive "file=$work/image.ext4,format=raw,if=virtio")
say "booting $kver: timeout $timeout_s ${qemu_cmd[*]}"
# The power cut: SIGKILL to QEMU itself (its -pidfile: $qpid is timeout's), MS ms after the
# guest asked for it.
cut_after() {  # cut_after K MS
  sleep "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -9 "$(cat "$work/qemu.pid")" 2>/dev/null && echo "$1 $2" >"$work/cut"
}
mkfifo "$work/console.fifo"
start=$(now)
launch=1 cuts=0
while :; do
  rm -f "$work/cut" "$work/qemu.pid"
  [ "$cuts_max" -gt 0 ] && echo "vboard-systemd: host: launch $launch" | tee -a "$log"
  timeout -k 5 "$timeout_s" "${qemu_cmd[@]}" -pidfile "$work/qemu.pid" </dev/null >"$work/console.fifo" 2>&1 &
  qpid=$!
  while IFS= read -r line; do
    line=${line//$'\r'/}
    printf '%s\n' "$line" >>"$log"
    case $line in
      *vboard-systemd:*) printf '[%6.1f s] %s\n' "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" "vboard-systemd:${line#*vboard-systemd:}" ;;
    esac
    if [ "$cuts_max" -gt 0 ] && [[ $line =~ vboard-systemd:\ mark\ cut\ ([0-9]+)\ ([0-9]+) ]]; then
      cut_after "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" &
      cutter=$!
    fi
  done <"$work/console.fifo"
  set +e
  wait "$qpid"
  status=$?
  set -e
  qpid=""
  if [ -n "$cutter" ]; then wait "$cutter" 2>/dev/null || true; cutter=""; fi
  [ -f "$work/cut" ] || break
  read -r k ms <"$work/cut"
  cuts=$((cuts + 1))
  echo "vboard-systemd: host: cut $k after $ms ms" | tee -a "$log"
  if [ $cuts -gt "$cuts_max" ]; then say "the guest asked for more cuts than --power-cuts $cuts_max"; status=1; break; fi
  launch=$((launch + 1))
done
took=$(since "$start")
if [ $status -eq 124 ] || [ $status -eq 137 ]; then how="timeout after $timeout_s s"
elif grep -q 'reboot: Power down' "$log"; then how="powered off"
elif grep -q 'Kernel panic' "$log"; then how="kernel panic"
elif grep -q 'reboot: Restarting system' "$log"; then how="reset (reboot or watchdog)"
else how="exited"
fi
if [ "$log" = "$work/console.log" ] && [ -z "$keep" ]; then where="not kept: --log FILE keeps it"
elif [ "$log" = "$work/console.log" ]; then where="kept in $keep"
else where=$log
fi
say "qemu $how, exit status $status, wall time $took s (console log: $where)"
if [ $status -ne 0 ]; then
  echo "boot.sh: --- last 40 console lines ---"
  tail -40 "$log"
fi
exit $status
