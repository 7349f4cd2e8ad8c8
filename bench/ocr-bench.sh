#!/usr/bin/env bash
# The OCR pipeline's frames per second and where each frame's time goes: a 1280x720 frame
# holding 5 lines of text (rendered with ImageMagick), the demo's three models compiled for
# this machine (PP-OCRv4 det at 960x544, the mobile orientation classifier, PP-OCRv4 rec at
# 48x320; --target native), `edgert run` on 1 and 2 threads, sequential, the frame replayed
# as fast as taken. Prints, per thread count: frames per second (1000 / mean total_ms) and
# the mean milliseconds of each stage over the frames after the first 3, and whether every
# frame read the 5 lines exactly.
#   bench/ocr-bench.sh [FRAMES]   (default 40)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
frames=${1:-40}
build=${EDGERT_BUILD:-$repo/build/host}
cache=${EDGERT_CACHE:-$repo/.cache}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$repo/toolchain/fetch-models.sh" >/dev/null
compile() { "$build/toolchain/edgert-compile" --target native "$cache/models/$1.onnx" --input "$2" -o "$out/$1.edgm" >/dev/null 2>&1; }
compile ppocr_v4_det x=1x3x544x960
compile ppocr_v4_rec x=1x3x48x320
compile ppocr_mobile_v2_cls x=1x3x48x192

font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
lines=("LOT 4471-B" "EXP 2027-03-15" "Meter reading 58213 kWh" "Pump 3 OFF" "Gate B17")
convert -size 1280x720 xc:white -fill black -font "$font" \
  -pointsize 40 -annotate 0x0+80+110 "${lines[0]}" \
  -pointsize 44 -annotate -4x-4+640+180 "${lines[1]}" \
  -pointsize 36 -annotate 0x0+80+330 "${lines[2]}" \
  -pointsize 40 -annotate 5x5+700+420 "${lines[3]}" \
  -pointsize 52 -annotate 0x0+120+600 "${lines[4]}" -type TrueColor "PNG24:$out/frame.png"
printf '%s\n' "${lines[@]}" | sort >"$out/expected.txt"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; target $("$build/runtime/edgert" inspect "$out/ppocr_v4_det.edgm" | sed -n 's/^target: //p')"
for threads in 1 2; do
  sed -e "s|^model = .*|model = \"$out/ppocr_v4_det.edgm\"|" \
      -e "s|^recognizer = .*|recognizer = \"$out/ppocr_v4_rec.edgm\"|" \
      -e "s|^orientation = .*|orientation = \"$out/ppocr_mobile_v2_cls.edgm\"|" \
      -e "s|^dictionary = .*|dictionary = \"$cache/models/ppocr_keys_v1.txt\"|" \
      -e "s|^\[service\]|[service]\nthreads = $threads|" \
      -e "s|^width = 960|width = 1280|" -e "s|^height = 540|height = 720\nrealtime = false|" \
      -e "s|^detections = .*|detections = \"file:$out/lines.$threads.jsonl\"|" \
      "$repo/systemd/demo-ocr.toml" >"$out/ocr.$threads.toml"
  "$build/runtime/edgert" run --config "$out/ocr.$threads.toml" --source "$out/frame.png" --frames "$frames" 2>/dev/null
  python3 - "$out/lines.$threads.jsonl" "$out/expected.txt" "$threads" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
expected = open(sys.argv[2]).read().split("\n")[:-1]
exact = sum(sorted(d["text"] for d in r["detections"]) == expected for r in rows)
rows = rows[3:] if len(rows) > 6 else rows
mean = lambda k: sum(r[k] for r in rows) / len(rows)
total = mean("total_ms")
print(f"threads {sys.argv[3]}: {1000 / total:.2f} fps, total {total:.1f} ms = pre-process {mean('pre_ms'):.1f}"
      f" + detector {mean('infer_ms'):.1f} + DB {mean('decode_ms'):.1f} + 5 lines {mean('regions_ms'):.1f}"
      f" (crop {mean('crop_ms'):.1f}, classifier and recogniser {mean('read_ms'):.1f}, CTC and the rest"
      f" {mean('regions_ms') - mean('crop_ms') - mean('read_ms'):.1f}); {exact} of {len(open(sys.argv[1]).readlines())}"
      f" frames read the 5 lines exactly")
PY
done
