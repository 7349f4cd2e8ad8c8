#!/usr/bin/env bash
# Renders the OCR tests' images with ImageMagick and Debian's DejaVu fonts (both installed by
# toolchain/bootstrap.sh): lines of known ASCII text at a few sizes, straight, rotated by up
# to +-10 degrees, and one upside down, black on white and on a coloured background, 960x540
# (the demo's detector input, so the text keeps its size), and a 320x96 frame of one line for
# the service loop test. Beside each NAME.png, NAME.txt
# holds the lines it shows, one per line: what the OCR pipeline must read, exactly.
#   make-text-images.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-text-images.sh OUTDIR}
mkdir -p "$out"
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
bold=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
mono=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
for f in "$font" "$bold" "$mono"; do
  [ -f "$f" ] || { echo "make-text-images: $f is missing (Debian's fonts-dejavu-core)" >&2; exit 1; }
done
command -v convert >/dev/null && convert -version | grep -q ImageMagick ||
  { echo "make-text-images: ImageMagick's convert is missing (Debian's imagemagick)" >&2; exit 1; }

# render NAME BACKGROUND then groups of: FONT POINTSIZE ANGLE X Y TEXT
render() {
  local name=$1 background=$2
  shift 2
  local args=(-size "${size:-960x540}" "xc:$background" -fill black)
  : >"$out/$name.txt.tmp"
  while [ $# -gt 0 ]; do
    args+=(-font "$1" -pointsize "$2" -annotate "${3}x${3}+${4}+${5}" "$6")
    printf '%s\n' "$6" >>"$out/$name.txt.tmp"
    shift 6
  done
  convert "${args[@]}" -type TrueColor "PNG24:$out/$name.png.tmp"
  mv "$out/$name.png.tmp" "$out/$name.png"
  mv "$out/$name.txt.tmp" "$out/$name.txt"
}

render straight white \
  "$font" 30 0 40 70 "LOT 4471-B" \
  "$bold" 36 0 40 160 "EXP 2027-03-15" \
  "$font" 24 0 40 240 "Meter reading 58213 kWh" \
  "$mono" 28 0 40 320 "SERIAL A7X-93512" \
  "$font" 44 0 40 430 "Keep dry"

render rotated white \
  "$font" 32 -8 60 120 "Batch 8823" \
  "$bold" 30 6 520 90 "Pump 3 OFF" \
  "$font" 28 10 80 300 "Voltage 230V" \
  "$font" 34 -10 520 420 "Gate B17"

render upside_down "#e8e4d0" \
  "$font" 34 0 60 110 "Line 2 stopped" \
  "$bold" 36 180 700 300 "Check valve 12" \
  "$font" 28 3 80 440 "Zone 5 clear"

# The service loop's frame: one line on a small frame (the loop test's detector is compiled
# for 320x96).
size=320x96 render loop white \
  "$font" 28 0 20 60 "Pump 3 OFF"
