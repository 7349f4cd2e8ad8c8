#!/usr/bin/env bash
# Builds the Debian packages of a build tree (`cmake --build BUILD_DIR --target package`)
# and checks the device package as a user installing it would see it: the files it must
# install (dpkg-deb -c), the conffile, Depends from dpkg-shlibdeps plus the dlopen'ed
# libraries, no protobuf and no model compiler in it, and no lintian error or warning on
# it and on edgert-tools.
#   tests/package/check_deb.sh BUILD_DIR DEB_ARCH
set -euo pipefail
build=$1 arch=$2
cmake --build "$build" --target package >"$build/package.log" 2>&1 ||
  { cat "$build/package.log"; echo "FAIL: cmake --build $build --target package"; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
deb="$build/edgert_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "FAIL: $deb was not written"; exit 1; }
echo "package: $deb ($(stat -c %s "$deb") bytes)"
failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "PASS: $1"; else echo "FAIL: $1"; failed=1; fi
}
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/bin/edgert /usr/lib/systemd/system/edgert.service /etc/edgert/edgert.toml \
         /usr/share/edgert/boards/jetson-orin-nano.toml /usr/share/edgert/boards/host-sim.toml \
         /usr/share/edgert/models/ /usr/lib/udev/rules.d/60-edgert.rules \
         /usr/lib/sysusers.d/edgert.conf /usr/lib/modules-load.d/edgert.conf /usr/lib/tmpfiles.d/edgert.conf \
         /usr/share/doc/edgert/copyright /usr/share/doc/edgert/changelog.gz \
         /usr/share/doc/edgert/service.md /usr/share/doc/edgert/README.md \
         /usr/share/man/man1/edgert.1.gz /usr/share/doc/edgert/bundle-format.md \
         /etc/edgert/keys/trusted.d/ /etc/edgert/keys/revoked.d/ \
         /usr/share/mender/modules/v3/edgert; do
  check "installs $f" grep -qxF "$f" <<<"$contents"
done
check "no model compiler in the device package" bash -c '! grep -q edgert-compile <<<"$0"' "$contents"
check "/etc/edgert/edgert.toml is a conffile" \
  bash -c 'dpkg-deb --ctrl-tarfile "$0" | tar -xO ./conffiles | grep -qx /etc/edgert/edgert.toml' "$deb"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
names=$(tr ',|' '\n\n' <<<"$depends" | sed 's/^ *//; s/ .*//')
for d in libsystemd0 libv4l-0 libpng16-16 libarchive13 libssl3 procps libfmt9 libstdc++6 libc6; do
  check "Depends names $d" grep -qxF "$d" <<<"$names"
done
check "no protobuf or onnx in Depends" bash -c '! grep -qE "protobuf|onnx" <<<"$0"' "$depends"
check "Architecture is $arch" test "$(dpkg-deb -f "$deb" Architecture)" = "$arch"
tools="$build/edgert-tools_${version}_${arch}.deb"   # native builds only
[ -f "$tools" ] || tools=""
if [ -n "$tools" ]; then
  tool_contents=$(dpkg-deb -c "$tools" | awk '{ print $6 }' | sed 's|^\./|/|')
  for f in /usr/bin/edgert-compile /usr/bin/edgert-bundle /usr/share/man/man1/edgert-bundle.1.gz; do
    check "edgert-tools installs $f" grep -qxF "$f" <<<"$tool_contents"
  done
fi
if command -v lintian >/dev/null; then
  lint=$(lintian --tag-display-limit 0 "$deb" $tools 2>&1 | grep -v 'running with root privileges' || true)
  [ -z "$lint" ] || echo "$lint"
  check "lintian reports no error" bash -c '! grep -q "^E: " <<<"$0"' "$lint"
  check "lintian reports no warning" bash -c '! grep -q "^W: " <<<"$0"' "$lint"
else
  echo "FAIL: lintian is not installed (toolchain/bootstrap.sh installs it)"; failed=1
fi
exit $failed
