# Sourced by run-scenarios.sh and ota-scenarios.sh: the rootfs both boot, the model they
# run and the tally of their results. Needs $here, $arch, $deb, $work, $model, $onnx,
# $compiler set; sets $rootfs (the rootfs.sh entry) and $model (compiled from $onnx when
# given). The prepare functions return 77 with a SKIP line when rootfs.sh cannot get
# Debian's packages, 1 on other failures.

# The model: compiled for the guest's CPU (--target x86_64: AVX2+FMA, which QEMU's TCG has;
# --target aarch64: NEON): the reference kernels take seconds a frame there.
vboard_prepare_model() {
  if [ -n "$onnx" ]; then
    [ -x "$compiler" ] || { echo "${0##*/}: --compiler: no edgert-compile at '$compiler' (build the host preset first)" >&2; return 1; }
    model="$work/face.edgm"
    "$compiler" "$onnx" -o "$model" --target "$arch" >/dev/null ||
      { echo "vboard-systemd: FAIL setup: edgert-compile $onnx --target $arch"; return 1; }
  fi
  [ -f "$model" ] || { echo "${0##*/}: --model: no model image '$model'" >&2; return 1; }
}

# The rootfs holds what the package's Depends and Recommends name (first alternatives, no
# versions: apt must then find every dependency installed, or the install fails) and what
# the scenarios use: curl, Debian's prometheus-node-exporter and mender-client (its daemon is
# masked on every boot's command line; ota-scenarios.sh runs it in standalone mode). One list
# for both scripts: one cached rootfs.
vboard_prepare_rootfs() {
  local deps packages rootfs_out rc
  deps=$( { dpkg-deb -f "$deb" Depends; echo ","; dpkg-deb -f "$deb" Recommends; } |
          tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u | tr '\n' ' ')
  packages="$deps curl prometheus-node-exporter mender-client"
  echo "vboard-systemd: rootfs packages: $packages"
  rc=0
  rootfs_out=$("$here/rootfs.sh" --arch "$arch" --packages "$packages" 2>&1) || rc=$?
  echo "$rootfs_out" | sed 's/^/  /'
  [ $rc -eq 77 ] && { echo "$rootfs_out" | grep SKIP | tail -1; return 77; }
  [ $rc -eq 0 ] || { echo "vboard-systemd: FAIL setup: rootfs.sh exited $rc"; return 1; }
  rootfs=$(echo "$rootfs_out" | tail -1)
}

# The scenarios' results: the guest's "PASS|FAIL <id> ..." lines from the console logs,
# and the host's own (host PASS|FAIL ID WHAT).
results=()
host() { results+=("$1 $2 ${*:3}"); }
vboard_collect() {  # vboard_collect CONSOLE.log...
  local log line
  for log in "$@"; do
    while IFS= read -r line; do results+=("$line"); done < <(
      tr -d '\r' <"$log" | sed -n 's/.*vboard-systemd: \(\(PASS\|FAIL\) .*\)/\1/p')
  done
}
# One "vboard-systemd: ARCH: PASS|FAIL ..." line per expected scenario, FAIL for one that
# reported nothing; sets $passed and $failed.
vboard_report() {  # vboard_report ID...
  local id line
  passed=0 failed=0
  for id in "$@"; do
    line=$(printf '%s\n' "${results[@]}" | grep -m1 -E "^(PASS|FAIL) $id( |$)" || true)
    [ -n "$line" ] || line="FAIL $id (no result: the guest did not get there)"
    echo "vboard-systemd: $arch: $line"
    case $line in PASS*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
  done
}
