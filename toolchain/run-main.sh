#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install what is needed, build
# edgert for this host, show the embedded default board (host-sim) and what the HAL finds
# on this machine, fetch the BlazeFace model and compile it as a user would (no --target:
# the portable image, whose fast variants for this CPU the loader picks), fetch Debian's
# astronaut photo, and run the service on host-sim with the photo replayed as a camera:
# one JSON line of detections per frame and a status line a second, 60 frames. Then the OCR
# demo: compile PP-OCRv4 det, rec and the orientation classifier, render lines of text
# (rotated, one upside down) and read them: one JSON line with each line's text and corners.
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
  -o build/main/blazeface_front_128.edgm
$edgert bench build/main/blazeface_front_128.edgm --iters 100
echo
photo=$(./toolchain/fetch-testdata.sh)
$edgert run --config systemd/demo-host-sim.toml --source "$photo" --frames 60
echo
for model in "ppocr_v4_det x=1x3x544x960" "ppocr_v4_rec x=1x3x48x320" "ppocr_mobile_v2_cls x=1x3x48x192"; do
  read -r name input <<<"$model"
  build/host/toolchain/edgert-compile ".cache/models/$name.onnx" --input "$input" \
    -o "build/main/$name.edgm" --target native
done
tests/runtime/ocr/make-text-images.sh build/main/text
$edgert run --config systemd/demo-ocr.toml --source build/main/text/upside_down.png --frames 1
