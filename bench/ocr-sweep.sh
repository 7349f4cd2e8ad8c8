#!/usr/bin/env bash
# The OCR demo's exact-match rate on rendered text: 6 lines (words, digits, punctuation) in
# DejaVu Sans and Sans Bold at 22, 30 and 40 points, turned by -10, -4, 0 and 6 degrees
# (144 images of one line each, 960x540), each run through systemd/demo-ocr.toml with the
# given unclip ratio; prints every line not read exactly and the rate. The models must be in
# build/main/ (toolchain/run-main.sh or the ocr.compile_models test put them there).
#   bench/ocr-sweep.sh [UNCLIP_RATIO]   (default: the demo's)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
edgert=${EDGERT_BUILD:-$repo/build/host}/runtime/edgert
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sed -e "s|\.\./|$repo/|g" "$repo/systemd/demo-ocr.toml" >"$out/demo.toml"
[ -n "${1:-}" ] && sed -i "s|^unclip_ratio = .*|unclip_ratio = $1|" "$out/demo.toml"
fonts=/usr/share/fonts/truetype/dejavu
ok=0 total=0
for text in "Batch 8823" "Pump 3 OFF" "LOT 4471-B" "Gate B17" "Meter reading 58213 kWh" "Zone 5 clear"; do
  for font in DejaVuSans DejaVuSans-Bold; do
    for size in 22 30 40; do
      for angle in -10 -4 0 6; do
        convert -size 960x540 xc:white -fill black -font "$fonts/$font.ttf" -pointsize "$size" \
          -annotate "${angle}x${angle}+150+250" "$text" -type TrueColor "PNG24:$out/line.png"
        read=$("$edgert" run --config "$out/demo.toml" --source "$out/line.png" --frames 1 2>/dev/null |
               grep -o '"text":"[^"]*"' | head -1 | cut -d'"' -f4 || true)
        total=$((total + 1))
        if [ "$read" = "$text" ]; then ok=$((ok + 1)); else echo "  $font $size pt, $angle deg: '$text' read as '$read'"; fi
      done
    done
  done
done
echo "unclip_ratio $(sed -n 's/^unclip_ratio = \([0-9.]*\).*/\1/p' "$out/demo.toml"): $ok of $total lines read exactly"
