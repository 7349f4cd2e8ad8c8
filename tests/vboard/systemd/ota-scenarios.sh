#!/usr/bin/env bash
# Over-the-air bundles on the virtual board, as a device in the field lives them: the device
# package installed with apt in the Debian 12 rootfs of run-scenarios.sh (with mender-client),
# booted under systemd, bundles made here with edgert-bundle (and wrapped for Mender with
# Debian's mender-artifact), installed there with `edgert update` and with `mender install`
# through the packaged update module; then the board's power is cut (QEMU killed, no sync)
# at spread moments of an install and of the trial after it, N times, each followed by a
# boot of the same disk (guest/ota.sh says what each launch checks). Scenarios:
#   ota.a ota.refused ota.b ota.mender.commit ota.mender.nan ota.mender.rollback
#   ota.cut.1 .. ota.cut.N ota.cut.final, and here: ota.cuts (N cuts, N + 1 launches),
#   ota.fsck (the disk image is a clean ext4 after the last poweroff)
# One "vboard-systemd: ARCH: PASS|FAIL <scenario> ..." line each, then "N passed, M failed".
# Exit 0 when all passed; 77 with "SKIP: why" when QEMU, the kernel or Debian's registry
# cannot be had; 1 otherwise.
#
#   tests/vboard/systemd/ota-scenarios.sh --arch x86_64|aarch64 --deb EDGERT.deb
#       (--model FACE.edgm | --onnx blazeface_front_128.onnx --compiler EDGERT-COMPILE)
#       --bundle-tool EDGERT-BUNDLE --test-model EDGERT-TEST-MODEL [--cuts N] [--keep DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch="" deb="" model="" keep="" onnx="" compiler="" bundle_tool="" test_model="" cuts=10
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --model) model=$(realpath "$2"); shift 2 ;;
    --onnx) onnx=$(realpath "$2"); shift 2 ;;
    --compiler) compiler=$(realpath "$2"); shift 2 ;;
    --bundle-tool) bundle_tool=$(realpath "$2"); shift 2 ;;
    --test-model) test_model=$(realpath "$2"); shift 2 ;;
    --cuts) cuts=$2; shift 2 ;;
    --keep) keep=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "ota-scenarios.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ -f "$deb" ] || { echo "ota-scenarios.sh: --deb: no package '$deb'" >&2; exit 1; }
[ -x "$bundle_tool" ] || { echo "ota-scenarios.sh: --bundle-tool: no edgert-bundle at '$bundle_tool'" >&2; exit 1; }
[ -x "$test_model" ] || { echo "ota-scenarios.sh: --test-model: no edgert-test-model at '$test_model'" >&2; exit 1; }
[[ $cuts =~ ^[1-9][0-9]*$ ]] || { echo "ota-scenarios.sh: --cuts wants a positive number" >&2; exit 64; }
start=$(date +%s)
cache="${EDGERT_VBOARD_CACHE:-/var/cache/edgert-vboard}"
work=$(mktemp -d "${TMPDIR:-/tmp}/edgert-vboard-ota.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$here/prepare.sh"
vboard_prepare_model || exit 1
rc=0; vboard_prepare_rootfs || rc=$?
[ $rc -eq 0 ] || exit $rc

# mender-artifact (host only, Debian's 3.9): unpacked once into the cache, never installed.
ma_dir="$cache/mender-artifact/$(dpkg --print-architecture)"
if [ ! -f "$ma_dir/.unpacked" ]; then
  rm -rf "$ma_dir" "$ma_dir.dl" && mkdir -p "$ma_dir.dl"
  (cd "$ma_dir.dl" && apt-get download -q mender-artifact >/dev/null 2>"$work/ma.log") ||
    { cat "$work/ma.log"; rm -rf "$ma_dir.dl"; echo "SKIP: apt-get download mender-artifact failed (Debian's registry unreachable?)"; exit 77; }
  dpkg -x "$ma_dir.dl"/*.deb "$ma_dir"
  rm -rf "$ma_dir.dl"
  touch "$ma_dir/.unpacked"
fi
mender_artifact="$ma_dir/usr/bin/mender-artifact"
[ -x "$mender_artifact" ] || { echo "vboard-systemd: FAIL setup: no usr/bin/mender-artifact in mender-artifact"; exit 1; }

# --- the bundles (compatible "vboard": the guest board file's name) ----------------------
t=$(date +%s)
ota="$work/ota"
mkdir -p "$ota"
"$bundle_tool" keygen --out "$work/keys" >/dev/null
"$test_model" nan "$work/nan.edgm" >/dev/null
bundle() {  # bundle NAME VERSION ARGS...: a signed bundle in $ota
  "$bundle_tool" create --key "$work/keys/bundle.key" --version "$2" --compatible vboard "${@:3}" \
    -o "$ota/$1.edgb" >/dev/null || { echo "vboard-systemd: FAIL setup: edgert-bundle create $1"; exit 1; }
}
face=(--model "$model")
nan=(--model "$work/nan.edgm" --config "$here/guest/nan-bundle.toml" --board "$here/guest/vboard.toml")
bundle good-1.1.0 1.1.0 "${face[@]}"
bundle old-1.0.0 1.0.0 "${face[@]}"
bundle tampered-1.9.0 1.9.0 "${face[@]}"
size=$(stat -c %s "$ota/tampered-1.9.0.edgb")
# One byte in the middle: inside the model, the bulk of the bundle.
printf '\x5a' | dd of="$ota/tampered-1.9.0.edgb" bs=1 seek=$((size / 2)) conv=notrunc status=none
bundle nan-1.2.0 1.2.0 "${nan[@]}"
for v in 1.3.0 1.4.0 1.5.0; do
  if [ $v = 1.4.0 ]; then bundle m-$v $v "${nan[@]}"; else bundle m-$v $v "${face[@]}"; fi
  "$mender_artifact" write module-image -T edgert -t edgert-vboard -n edgert-$v -f "$ota/m-$v.edgb" \
    --software-name edgert --software-version $v -o "$ota/m-$v.mender" >"$work/ma.log" 2>&1 ||
    { cat "$work/ma.log"; echo "vboard-systemd: FAIL setup: mender-artifact write m-$v"; exit 1; }
  rm "$ota/m-$v.edgb"
done
for k in $(seq 1 "$cuts"); do bundle cut-2.0.$k 2.0.$k "${face[@]}"; done
echo "vboard-systemd: $(ls "$ota" | wc -l) bundles and Mender Artifacts made in $(( $(date +%s) - t )) s"

# Mender standalone: the device type its Artifacts name, the name of what the device runs
# before its first Artifact, /data/mender (Debian links /var/lib/mender there).
mkdir -m 700 "$work/data-mender"
echo "device_type=edgert-vboard" >"$work/data-mender/device_type"
echo "artifact_name=vboard-factory" >"$work/artifact_info"

g=$here/guest
copies=(--copy "$model:/usr/share/edgert/models/face.edgm"
        --copy "$g/edgert.toml:/etc/edgert/edgert.toml"
        --copy "$g/vboard.toml:/etc/edgert/vboard.toml"
        --copy "$g/vivid.conf:/etc/modprobe.d/vboard-vivid.conf"
        --copy "$g/scenarios.sh:/usr/local/lib/vboard/scenarios.sh"
        --copy "$g/ota.sh:/usr/local/lib/vboard/ota.sh"
        --copy "$g/vboard-scenarios.service:/etc/systemd/system/vboard-scenarios.service"
        --copy "$work/keys/bundle.pub:/etc/edgert/keys/trusted.d/vboard.pub"
        --copy "$ota:/root/"
        --copy "$work/data-mender:/data/mender"
        --copy "$work/artifact_info:/etc/mender/artifact_info")
# The Mender daemon and node-exporter stay off: standalone mode, shorter boots.
append="modules-load=vivid vboard.mode=ota vboard.cuts=$cuts systemd.wants=vboard-scenarios.service"
append+=" systemd.mask=mender-client.service systemd.mask=prometheus-node-exporter.service"
# Each launch: a boot (~20 s x86_64, ~25 s aarch64 under TCG) and at most a trial; the first
# runs the six update scenarios.
set +e
"$here/boot.sh" --arch "$arch" --rootfs-from "$rootfs" --deb "$deb" "${copies[@]}" --no-vivid \
  --append "$append" --timeout 600 --power-cuts "$cuts" --log "$work/ota.log" \
  --keep "$work/disk" >"$work/ota.out" 2>&1
boot_rc=$?
set -e
echo "--- boot ota ($arch)"
grep -v '^\[ *[0-9.]* s\] vboard-systemd: \(PASS\|FAIL\) ' "$work/ota.out" | sed 's/^/  /'
[ $boot_rc -eq 77 ] && { grep -h '^SKIP' "$work/ota.out" | head -1; exit 77; }

vboard_collect "$work/ota.log"
n_cut=$(grep -c '^vboard-systemd: host: cut ' "$work/ota.log" || true)
n_launch=$(grep -c '^vboard-systemd: host: launch ' "$work/ota.log" || true)
if [ "$n_cut" -eq "$cuts" ] && [ "$n_launch" -eq $((cuts + 1)) ] && grep -q 'reboot: Power down' "$work/ota.log"; then
  host PASS ota.cuts "$n_cut power cuts (QEMU killed: $(grep '^vboard-systemd: host: cut ' "$work/ota.log" | sed 's/.*cut \([0-9]*\) after \([0-9]*\) ms/\2/' | tr '\n' ' ')ms after each install began), $n_launch launches, the last powered off"
else
  host FAIL ota.cuts "$n_cut cuts of $cuts, $n_launch launches, boot.sh exit $boot_rc"
fi
if [ -f "$work/disk/image.ext4" ] && out=$(e2fsck -fn "$work/disk/image.ext4" 2>&1); then
  host PASS ota.fsck "e2fsck -fn: $(tail -1 <<<"$out")"
else
  host FAIL ota.fsck "e2fsck -fn: $(tail -3 <<<"${out:-no image}" | tr '\n' ' ')"
fi

expected="ota.a ota.refused ota.b ota.mender.commit ota.mender.nan ota.mender.rollback"
for k in $(seq 1 "$cuts"); do expected+=" ota.cut.$k"; done
expected+=" ota.cut.final ota.cuts ota.fsck"
# shellcheck disable=SC2086  # the ids, one word each
vboard_report $expected
if [ $failed -gt 0 ] && [ -n "$keep" ]; then mkdir -p "$keep"; cp "$work"/ota.log "$work"/ota.out "$keep/" 2>/dev/null || true; fi
echo "vboard-systemd: $arch: $passed passed, $failed failed (over-the-air bundles) in $(( $(date +%s) - start )) s"
[ $failed -eq 0 ]
