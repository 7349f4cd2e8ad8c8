#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install what is needed, build
# edgert for this host, show the embedded default board (host-sim) and what the HAL finds
# on this machine, then fetch the BlazeFace model, compile it for this CPU and time it.
# (Once the inference service lands, this runs it on host-sim.)
set -euo pipefail
cd "$(dirname "$0")/.."

./toolchain/bootstrap.sh
cmake --preset host >/dev/null
cmake --build --preset host
edgert=build/host/runtime/edgert
echo
$edgert version
echo
$edgert inventory
echo
./toolchain/fetch-models.sh
mkdir -p build/main
build/host/toolchain/edgert-compile .cache/models/blazeface_front_128.onnx \
  -o build/main/blazeface_front_128.edgm --target "$(uname -m)"
$edgert bench build/main/blazeface_front_128.edgm --iters 100
