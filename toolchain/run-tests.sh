#!/usr/bin/env bash
# Runs every test of edgert: the host build (which also fetches the real models and ONNX
# Runtime, toolchain/fetch-models.sh), the host build under AddressSanitizer and UBSan, the
# tests of the threaded code under ThreadSanitizer, the aarch64 cross build with its tests
# under qemu-aarch64, and libFuzzer on every parser of outside input (tests/fuzz). Installs
# what it needs first (toolchain/bootstrap.sh). The host preset runs first: the others
# replay the model images it exports. Set EDGERT_PRESETS for a subset, e.g.
#   EDGERT_PRESETS=host toolchain/run-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./toolchain/bootstrap.sh

presets=${EDGERT_PRESETS:-host host-asan host-tsan aarch64 fuzz}
declare -A result slowest
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
  # The systemd virtual boards' scenario lines (ctest shows a passing test's output only in
  # its log): one per scenario, the boot-to-READY times and the count.
  grep -h -E '^vboard-systemd: [a-z0-9_]+: (PASS|FAIL|.*boot-to-ready|[0-9]+ passed)' \
    "build/$preset/Testing/Temporary/LastTest.log" 2>/dev/null || true
  # Where the preset's test time went: its slowest tests (CI must stay under an hour).
  slowest[$preset]=$(sed -n -E 's/^"(.*)" time elapsed: ([0-9]+):([0-9]+):([0-9]+)$/\2 \3 \4 \1/p' \
    "build/$preset/Testing/Temporary/LastTest.log" 2>/dev/null |
    awk '{printf "%d %s\n", $1 * 3600 + $2 * 60 + $3, $4}' | sort -rn | head -6 |
    awk '{printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1}')
done

echo "=== edgert: summary"
passed=0 failed=0
for preset in $presets; do
  echo "  $preset: ${result[$preset]}${slowest[$preset]:+; slowest: ${slowest[$preset]}}"
  case ${result[$preset]} in passed*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
  # A failed preset's failed tests, and the end of each one's output: CI keeps only the tail
  # of this script's output, where the build's and the other presets' lines would hide them.
  failed_list="build/$preset/Testing/Temporary/LastTestsFailed.log"
  if [[ ${result[$preset]} != passed* && -s $failed_list ]]; then
    while IFS=: read -r _ name; do
      echo "    failed: $name"
      awk -v t="$name" '$0 ~ "^[0-9]+/[0-9]+ Test: " t "$" {p=1; n=0} p && /^"?[^ ]+" end time:|^Test time =/ {p=0}
                        p {buf[n++ % 25] = $0} END {for (i = (n > 25 ? n - 25 : 0); i < n; i++) print "      | " buf[i % 25]}' \
        "build/$preset/Testing/Temporary/LastTest.log" 2>/dev/null || true
    done < "$failed_list"
  fi
done
echo "presets: $passed passed, $failed failed"
exit $status
