#!/usr/bin/env bash
# systemd/edgert.service must pass `systemd-analyze verify` (with ExecStart pointing at the
# built binary, since verify checks that it exists) and keep `systemd-analyze security`'s
# exposure at or below MAX (offline: judged from the unit file alone).
#   tests/systemd/verify_unit.sh UNIT EDGERT_BINARY MAX_EXPOSURE
set -euo pipefail
unit=$1 binary=$2 max=$3
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed (package systemd)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/bin/edgert|$binary|" "$unit" > "$dir/edgert.service"
systemd-analyze verify "$dir/edgert.service"
echo "systemd-analyze verify: ok"
line=$(systemd-analyze security --offline=true "$dir/edgert.service" 2>&1 | grep 'Overall exposure level')
echo "$line"
exposure=$(sed -n 's/.*Overall exposure level for edgert.service: \([0-9.]*\).*/\1/p' <<<"$line")
awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e != "" && e <= m) }' ||
  { echo "exposure $exposure is above $max"; exit 1; }
