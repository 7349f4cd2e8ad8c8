#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install what is needed, build
# edgert for this host, then show the embedded default board (host-sim) and what the HAL
# finds on this machine. (Once the inference service lands, this runs it on host-sim.)
set -euo pipefail
cd "$(dirname "$0")/.."

./toolchain/bootstrap.sh
cmake --preset host >/dev/null
cmake --build --preset host
echo
./build/host/runtime/edgert version
echo
./build/host/runtime/edgert inventory
