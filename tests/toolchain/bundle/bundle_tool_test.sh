#!/usr/bin/env bash
# edgert-bundle as a release engineer runs it: keygen, create (models checked with the
# device's loader, the config with the service's schema, --board for the device's board
# file), inspect, verify with the right key and a wrong one, and the refusals, each by its
# exit status and the message that names what is wrong. Then the device side of the same
# bundle: `edgert update install` into a fresh state directory.
#   bundle_tool_test.sh EDGERT-BUNDLE EDGERT-TEST-MODEL EDGERT BOARD.toml (its name: "vboard")
#       EDGERT-COMPILE ONNX-MODEL (one Debian's ONNX node tests: compiled for the other arch)
set -uo pipefail
tool=$1 make_model=$2 edgert=$3 board=$(realpath "$4") compile=$5 onnx=$6
work=$(mktemp -d "${TMPDIR:-/tmp}/edgert-bundle-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
# expect NAME STATUS PATTERN COMMAND...: the command exits STATUS and its output matches PATTERN.
expect() {
  local name=$1 want=$2 pattern=$3 out rc
  shift 3
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" = "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
    echo "PASS: $name"
  else
    echo "FAIL: $name: exit $rc (expected $want), output:"; sed 's/^/  | /' <<<"$out"
    failed=$((failed + 1))
  fi
}
cd "$work"
"$make_model" finite face.edgm 1 >/dev/null && "$make_model" nan nan.edgm 2 >/dev/null || { echo "FAIL: test models"; exit 1; }
cat >bundle.toml <<'TOML'
[service]
model = "nan.edgm"
board = "/etc/edgert/no-such-board-on-this-host.toml"
[camera]
source = "synthetic"
[postprocess]
kind = "none"
TOML
head -c $(( $(stat -c %s face.edgm) / 2 )) face.edgm >truncated.edgm
# A device: its config, keys and state directory.
mkdir -p device/trusted.d device/revoked.d
printf '[service]\nmodel = "%s/face.edgm"\nboard = "%s"\n[camera]\nsource = "synthetic"\n[postprocess]\nkind = "none"\n[update]\nstate_dir = "%s/state"\nkeys = "%s/device"\n' \
  "$work" "$board" "$work" "$work" >device.toml
export EDGERT_LOG_TARGET=stderr

expect "keygen writes the key pair" 0 "wrote keys/bundle.key and keys/bundle.pub \(key [0-9a-f]+\)" "$tool" keygen --out keys
expect "keygen of a second key" 0 "wrote" "$tool" keygen --out other
cp keys/bundle.pub device/trusted.d/release.pub
expect "create with one model" 0 "wrote face-1.0.0.edgb: bundle 1.0.0 for vboard, 1 file" \
  "$tool" create --key keys/bundle.key --version 1.0.0 --compatible vboard --model face.edgm -o face-1.0.0.edgb
expect "inspect lists the manifest" 0 "bundle 1.0.0 for vboard" "$tool" inspect face-1.0.0.edgb
expect "verify with the signing key" 0 "." "$tool" verify face-1.0.0.edgb --pub keys/bundle.pub
expect "verify with another key is refused" 65 "no trusted key in other/bundle.pub verifies the manifest" "$tool" verify face-1.0.0.edgb --pub other/bundle.pub
# A release engineer's host makes bundles for devices of another architecture.
other=$([ "$(uname -m)" = x86_64 ] && echo aarch64 || echo x86_64)
"$compile" "$onnx" -o other-arch.edgm --target "$other" >/dev/null || { echo "FAIL: edgert-compile --target $other"; exit 1; }
expect "a model compiled for $other is checked for its own target" 0 "wrote other-1.0.0.edgb" \
  "$tool" create --key keys/bundle.key --version 1.0.0 --compatible vboard --model other-arch.edgm -o other-1.0.0.edgb
expect "the $(uname -m) device refuses the $other model" 65 "compiled for $other kernels, this edgert is $(uname -m)" \
  "$edgert" update install other-1.0.0.edgb --config device.toml
expect "a truncated model is refused before signing" 65 "truncated.edgm" \
  "$tool" create --key keys/bundle.key --version 1.0.1 --compatible vboard --model truncated.edgm -o never.edgb
expect "a config naming a board only the device has asks for --board" 65 "service.board: .*--board FILE" \
  "$tool" create --key keys/bundle.key --version 1.1.0 --compatible vboard --model nan.edgm --config bundle.toml -o never.edgb
expect "with --board the config is checked against the device's board file" 0 "wrote nan-1.1.0.edgb: bundle 1.1.0 for vboard, 2 files" \
  "$tool" create --key keys/bundle.key --version 1.1.0 --compatible vboard --model nan.edgm --config bundle.toml \
    --board $board -o nan-1.1.0.edgb
sed 's/model = "nan.edgm"/model = "other.edgm"/' bundle.toml >other.toml
expect "a config whose model is not in the bundle is refused" 65 "service.model: .*not a model of this bundle" \
  "$tool" create --key keys/bundle.key --version 1.2.0 --compatible vboard --model nan.edgm --config other.toml \
    --board $board -o never.edgb
expect "a bad version is a usage error" 64 "--version" \
  "$tool" create --key keys/bundle.key --version 1.x --compatible vboard --model face.edgm -o never.edgb
[ ! -e never.edgb ] && echo "PASS: no refused bundle was written" || { echo "FAIL: never.edgb was written"; failed=$((failed + 1)); }

# The device: the bundle installs; a flipped byte in its model does not.
cp face-1.0.0.edgb flipped.edgb
size=$(stat -c %s flipped.edgb)
printf '\x5a' | dd of=flipped.edgb bs=1 seek=$((size / 2)) conv=notrunc status=none
expect "the device refuses the flipped bundle" 65 "sha256" "$edgert" update install flipped.edgb --config device.toml
# Through a pipe (not seekable): the install streams.
expect "the device installs the bundle from a pipe" 0 "activated slot [ab]" \
  sh -c 'cat "$1" | "$2" update install - --config device.toml' sh face-1.0.0.edgb "$edgert"
expect "status --verify finds the slot intact" 0 "files intact" "$edgert" update status --verify --config device.toml
slot=$(ls -d state/slots/*/face.edgm | head -1)
printf '\x5a' | dd of="$slot" bs=1 seek=100 conv=notrunc status=none
expect "status --verify names the damaged file" 1 "DAMAGED: .*face.edgm: sha256 differs" "$edgert" update status --verify --config device.toml
echo "$failed failed"
[ $failed -eq 0 ]
