#!/usr/bin/env bash
# edgert as shipped, on the virtual board: the device package installed with apt in a
# Debian 12 system (rootfs.sh, cached outside the clone), booted under systemd as PID 1 on
# Debian's kernel in QEMU (boot.sh), the scenarios of guest/scenarios.sh run inside, and
# what only the console shows (the status line's rate, a watchdog reset, a poweroff)
# judged here. Two boots run side by side (one QEMU per core):
#   camera     vivid at boot: a, b.journal, b.serial, c, d, i, f, k, g.clean-stop, g.reset
#   cold-plug  no camera until two minutes after boot: j, e, h
# One "vboard-systemd: PASS|FAIL <scenario> ..." line per scenario, then "N passed, M
# failed". Exit 0 when every scenario passed; 77 with "SKIP: why" when QEMU, the kernel or
# Debian's registry cannot be had; 1 otherwise.
#
#   tests/vboard/systemd/run-scenarios.sh --arch x86_64|aarch64 --deb EDGERT.deb
#       (--model FACE.edgm | --onnx blazeface_front_128.onnx --compiler EDGERT-COMPILE) [--keep DIR]
# With --onnx the model is compiled for the guest's CPU (prepare.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch="" deb="" model="" keep="" onnx="" compiler=""
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --model) model=$(realpath "$2"); shift 2 ;;
    --onnx) onnx=$(realpath "$2"); shift 2 ;;
    --compiler) compiler=$(realpath "$2"); shift 2 ;;
    --keep) keep=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run-scenarios.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ -f "$deb" ] || { echo "run-scenarios.sh: --deb: no package '$deb' (cmake --build BUILD --target package)" >&2; exit 1; }
start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/edgert-vboard-scenarios.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$here/prepare.sh"
vboard_prepare_model || exit 1
rc=0; vboard_prepare_rootfs || rc=$?
[ $rc -eq 0 ] || exit $rc

g=$here/guest
copies=(--copy "$model:/usr/share/edgert/models/face.edgm"
        --copy "$g/edgert.toml:/etc/edgert/edgert.toml"
        --copy "$g/vboard.toml:/etc/edgert/vboard.toml"
        --copy "$g/vboard-hw-watchdog.toml:/etc/edgert/vboard-hw-watchdog.toml"
        --copy "$g/vivid.conf:/etc/modprobe.d/vboard-vivid.conf"
        --copy "$g/prometheus-node-exporter.default:/etc/default/prometheus-node-exporter"
        --copy "$g/scenarios.sh:/usr/local/lib/vboard/scenarios.sh"
        --copy "$g/vboard-scenarios.service:/etc/systemd/system/vboard-scenarios.service")
# systemd.wants= (systemd-debug-generator) starts the scenarios at boot.
wants="systemd.wants=vboard-scenarios.service systemd.mask=mender-client.service"
# Timeouts: the camera boot runs ~3 minutes under TCG, the cold-plug boot waits two
# minutes for its camera by design.
"$here/boot.sh" --arch "$arch" --rootfs-from "$rootfs" --deb "$deb" "${copies[@]}" --no-vivid \
  --append "modules-load=vivid,softdog vboard.mode=camera $wants" --timeout 420 \
  --log "$work/camera.log" ${keep:+--keep "$keep/camera"} >"$work/camera.out" 2>&1 &
camera_pid=$!
"$here/boot.sh" --arch "$arch" --rootfs-from "$rootfs" --deb "$deb" "${copies[@]}" --no-vivid \
  --append "modules-load=softdog vboard.mode=cold-plug $wants" --timeout 420 \
  --log "$work/cold-plug.log" ${keep:+--keep "$keep/cold-plug"} >"$work/cold-plug.out" 2>&1 &
cold_pid=$!
set +e
wait $camera_pid; camera_rc=$?
wait $cold_pid; cold_rc=$?
set -e
for b in camera cold-plug; do
  echo "--- boot $b ($arch)"
  grep -v '^\[ *[0-9.]* s\] vboard-systemd: \(PASS\|FAIL\) ' "$work/$b.out" | sed 's/^/  /'
done
[ $camera_rc -eq 77 ] || [ $cold_rc -eq 77 ] && { grep -h '^SKIP' "$work"/*.out | head -1; exit 77; }

vboard_collect "$work/camera.log" "$work/cold-plug.log"
console() { tr -d '\r' <"$work/$1.log"; }
# b.serial: the status line ("edgert: run ...", period 2 s) on the serial console between
# the marks (12 s apart in the guest): at least 3, at most 12/2 + 1.
n=$(console camera | sed -n '/vboard-systemd: mark serial-start/,/vboard-systemd: mark serial-end/p' |
    grep -c 'edgert\[[0-9]*\]: edgert: run ' || true)
if console camera | grep -q 'mark serial-end' && [ "$n" -ge 3 ] && [ "$n" -le 7 ]; then
  host PASS b.serial "$n status lines on the serial console in 12 s (status_interval_s 2)"
else
  host FAIL b.serial "$n status lines between the marks (expected 3..7)"
fi
# g.reset: after "mark freeze" (edgert SIGSTOPped with softdog armed at 5 s), softdog
# resets the board before the guest prints "mark no-reset".
after=$(console camera | sed -n '/vboard-systemd: mark freeze/,$p')
if [ -n "$after" ] && grep -q 'softdog: Initiating system reboot' <<<"$after" &&
   ! grep -q 'mark no-reset' <<<"$after" && grep -q 'reboot: Restarting system\|Initiating system reboot' <<<"$after"; then
  host PASS g.reset "a frozen edgert: softdog reset the board ($(grep -m1 'softdog' <<<"$after" | sed 's/^ *\[[^]]*\] *//'))"
else
  host FAIL g.reset "after the freeze: $(tail -3 <<<"$after" | tr '\n' ' ')"
fi
# h: after "mark poweroff" (idle.action poweroff, timeout 5 s), the board powers off, and
# not by a softdog reset. A kernel warning on the way down (its trace lists the modules
# linked in, softdog among them) is not a reset: it is reported, not failed.
after=$(console cold-plug | sed -n '/vboard-systemd: mark poweroff/,$p')
if [ -n "$after" ] && grep -q 'reboot: Power down' <<<"$after" &&
   ! grep -q 'mark no-poweroff\|softdog: Initiating\|reboot: Restarting' <<<"$after"; then
  warned=$(grep -m1 -o 'WARNING: .*' <<<"$after" || true)
  host PASS h "idle poweroff: edgert exited 4 and the unit powered the board off through logind${warned:+ (the kernel warned on the way down: $warned)}"
else
  host FAIL h "after the idle config: $(tail -3 <<<"$after" | tr '\n' ' ')"
fi

vboard_report a b.journal b.serial c d i f k g.clean-stop g.reset j e h
for b in camera cold-plug; do
  r=$(console $b | sed -n 's/.*vboard-systemd: \(boot-to-ready .*\)/\1/p' | head -1)
  [ -n "$r" ] && echo "vboard-systemd: $arch: $b boot: $r"
done
if [ $failed -gt 0 ] && [ -n "$keep" ]; then cp "$work"/*.log "$keep/" 2>/dev/null || true; fi
echo "vboard-systemd: $arch: $passed passed, $failed failed in $(( $(date +%s) - start )) s"
[ $failed -eq 0 ]
