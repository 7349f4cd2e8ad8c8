#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install what is needed, build
# edgert for this host, show the embedded default board (host-sim) and what the HAL finds
# on this machine, fetch the BlazeFace model and compile it for this CPU, fetch Debian's
# astronaut photo, and run the service on host-sim with the photo replayed as a camera:
# one JSON line of detections per frame and a status line a second, 60 frames.
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
  -o build/main/blazeface_front_128.edgm --target native
$edgert bench build/main/blazeface_front_128.edgm --iters 100
echo
photo=$(./toolchain/fetch-testdata.sh)
$edgert run --config systemd/demo-host-sim.toml --source "$photo" --frames 60
