#!/bin/busybox sh
# /init of the systemd board's small initramfs (tests/vboard/systemd/boot.sh builds it
# around a static busybox and the modules that mounting the root needs). It loads those
# modules in the order listed in /modules (virtio_pci/virtio_mmio, virtio_blk, ext4 and
# their dependencies, from `modprobe --show-depends`), mounts root= (default /dev/vda, ext4,
# rw unless "ro" is on the kernel command line) and hands over to systemd with switch_root.
# On failure it prints a "vboard-systemd: initramfs: FAILED ..." line and powers off, so QEMU
# exits at once instead of waiting for boot.sh's timeout.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "vboard-systemd: initramfs: $*"; }
fail() {
  say "FAILED: $*"
  echo "--- /proc/cmdline: $(cat /proc/cmdline)"
  echo "--- block devices: $(ls /sys/class/block 2>/dev/null | tr '\n' ' ')"
  dmesg | tail -20
  poweroff -f
  sleep 5
}

root=/dev/vda fstype=ext4 mode=rw init=/sbin/init
for arg in $(cat /proc/cmdline); do
  case $arg in
    root=*) root=${arg#root=} ;;
    rootfstype=*) fstype=${arg#rootfstype=} ;;
    init=*) init=${arg#init=} ;;
    ro) mode=ro ;;
    rw) mode=rw ;;
  esac
done

while read -r mod; do
  [ -n "$mod" ] || continue
  insmod "$mod" 2>/tmp/insmod.err || grep -q 'File exists' /tmp/insmod.err ||
    say "insmod $mod: $(cat /tmp/insmod.err)"
done </modules

# The disk appears when virtio_blk has probed it; that is quick, but wait up to 10 s.
i=0
while [ ! -b "$root" ]; do
  i=$((i + 1))
  [ $i -le 100 ] || fail "$root did not appear"
  sleep 0.1
done
mkdir -p /newroot
mount -t "$fstype" -o "$mode" "$root" /newroot || fail "mount -t $fstype -o $mode $root"
[ -x "/newroot$init" ] || [ -L "/newroot$init" ] || fail "no $init in $root"
say "root $root mounted ($fstype, $mode) at $(cut -d' ' -f1 /proc/uptime) s, starting $init"

# systemd finds /dev, /proc and /sys mounted and keeps them.
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
exec switch_root /newroot "$init"
