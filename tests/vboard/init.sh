#!/bin/busybox sh
# /init of the virtual board (tests/vboard/vboard.sh builds the initramfs around it): mounts
# the kernel's filesystems, loads the real drivers the tests run against, runs every test
# binary in /vboard/tests and prints one "vboard: PASS|FAIL <test>" line per test and a
# summary on the serial console, then powers the guest off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

say() { echo "vboard: $*"; }
# vivid: one instance with a single video capture node (/dev/video0), error injection on.
for m in "vivid n_devs=1 node_types=0x1" "softdog soft_margin=60" vgem virtio_pci virtio_gpu; do
  modprobe $m || say "modprobe $m failed"
done
sleep 1
say "kernel $(uname -r) $(uname -m); devices: $(ls /dev/video* /dev/dri/* /dev/watchdog* 2>/dev/null | tr '\n' ' ')"

passed=0
failed=0
for t in /vboard/tests/*; do
  say "running $(basename "$t")"
  "$t" --gtest_color=no > /tmp/out.txt 2>&1
  rc=$?
  cat /tmp/out.txt
  p=$(sed -n 's/^\[       OK \] \([^ ]*\).*/\1/p' /tmp/out.txt)
  f=$(sed -n 's/^\[  FAILED  \] \([^ ]*\) (.*/\1/p' /tmp/out.txt)
  for n in $p; do say "PASS $n"; passed=$((passed + 1)); done
  for n in $f; do say "FAIL $n"; failed=$((failed + 1)); done
  if [ $rc -ne 0 ] && [ -z "$f" ]; then
    say "FAIL $(basename "$t") (exit status $rc)"
    failed=$((failed + 1))
  fi
done
say "done $passed passed $failed failed"
poweroff -f
