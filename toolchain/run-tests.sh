#!/usr/bin/env bash
# Runs every test of edgert: the host build, the host build under AddressSanitizer and
# UBSan, and the aarch64 cross build with its tests under qemu-aarch64. Installs what it
# needs first (toolchain/bootstrap.sh). Set EDGERT_PRESETS to run a subset, e.g.
#   EDGERT_PRESETS=host toolchain/run-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./toolchain/bootstrap.sh

presets=${EDGERT_PRESETS:-host host-asan aarch64}
declare -A result
status=0
for preset in $presets; do
  echo "=== edgert: $preset: configure, build, test"
  start=$(date +%s)
  if cmake --preset "$preset" >/dev/null &&
     cmake --build --preset "$preset" &&
     ctest --preset "$preset"; then
    result[$preset]="passed"
  else
    result[$preset]="FAILED"
    status=1
  fi
  result[$preset]+=" ($(( $(date +%s) - start )) s)"
done

echo "=== edgert: summary"
passed=0 failed=0
for preset in $presets; do
  echo "  $preset: ${result[$preset]}"
  case ${result[$preset]} in passed*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
echo "presets: $passed passed, $failed failed"
exit $status
