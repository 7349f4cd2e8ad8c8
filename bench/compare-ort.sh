#!/usr/bin/env bash
# edgert against ONNX Runtime 1.30 (CPU, npm onnxruntime-node) on the real models, same
# input, same thread counts, in the same run. Prints a markdown table with both figures and
# the ratio (edgert / ORT: below 1 is better), and writes it with the machine to
# bench/RESULTS.md (or the file EDGERT_RESULTS names). Needs a host build (cmake --preset
# host && cmake --build --preset host), or another optimized one named by EDGERT_BUILD.
# Both run at 1 and 2 threads (edgert: --threads, its worker pool; ORT: intra-op threads).
#
#   bench/compare-ort.sh [ITERS]
#   EDGERT_BUILD=build/mine EDGERT_RESULTS=build/mine/results.md bench/compare-ort.sh [ITERS]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
iters=${1:-200}
build=$(realpath "${EDGERT_BUILD:-$repo/build/host}")
cache=${EDGERT_CACHE:-$repo/.cache}
out=$repo/build/bench
results=${EDGERT_RESULTS:-$repo/bench/RESULTS.md}
mkdir -p "$out"
"$repo/toolchain/fetch-models.sh" >/dev/null

models=(
  "blazeface_front_128 1x128x128x3"
  "blazeface_back_256 1x256x256x3"
  "ppocr_v4_det 1x3x640x640 x=1x3x640x640"
)
json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}x')" "$1" "$2"; }

table="| model | threads | edgert p50 ms | ORT p50 ms | ratio p50 | edgert p99/p50 | edgert cold start ms | ORT session + first run ms | edgert peak RSS MiB | ORT peak RSS MiB | arena KiB |
|---|---|---|---|---|---|---|---|---|---|---|"
for entry in "${models[@]}"; do
  read -r name dims input <<<"$entry"
  extra=()
  [ -n "${input:-}" ] && extra=(--input "$input")
  "$build/toolchain/edgert-compile" "$cache/models/$name.onnx" -o "$out/$name.edgm" --target "$(uname -m)" "${extra[@]}" 2>/dev/null
  n=$iters
  [ "$name" = ppocr_v4_det ] && n=$(( iters / 10 > 5 ? iters / 10 : 5 ))
  for threads in 1 2; do
    ort=$(NODE_PATH=$cache/ort/node_modules node "$repo/bench/ort_bench.mjs" "$cache/models/$name.onnx" "$dims" "$threads" "$n")
    e=$("$build/runtime/edgert" bench "$out/$name.edgm" --threads "$threads" --iters "$n" --json)
    ep50=$(json "$e" p50_ms)
    row="| $name | $threads | $(printf %.3f "$ep50") | $(printf %.3f "$(json "$ort" p50_ms)") | $(ratio "$ep50" "$(json "$ort" p50_ms)")"
    row+=" | $(python3 -c "print(f'{$(json "$e" p99_ms)/$ep50:.2f}')") | $(printf %.2f "$(json "$e" cold_start_ms)")"
    row+=" | $(python3 -c "print(f'{$(json "$ort" session_create_ms)+$(json "$ort" first_run_ms):.1f}')")"
    row+=" | $(python3 -c "print(f'{$(json "$e" cold_peak_rss_kib)/1024:.1f}')") | $(python3 -c "print(f'{$(json "$ort" peak_rss_kib)/1024:.1f}')")"
    row+=" | $(( $(json "$e" arena_bytes) / 1024 )) |"
    table+=$'\n'"$row"
  done
done

machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
rev=$(git -C "$repo" describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null || echo unknown)
echo "$table"
cat >"$results" <<MD
# edgert vs ONNX Runtime: latest results

Produced by \`bench/compare-ort.sh $iters\` (edgert $rev) on: $machine.
Both run the same model on the same input in the same run; ORT is 1.30.0 CPU from npm
\`onnxruntime-node\` with graph optimization "all". Ratios are edgert / ORT (below 1: edgert
is faster). edgert's cold start is a fresh process from exec to its first inference
completed (model mapped and validated included); ORT's is session creation plus the first
run inside an already running node process. Peak RSS: edgert's cold-start process; ORT's
node process. Threads: edgert's engine with its worker pool (\`edgert bench --threads N\`,
the caller plus N - 1 workers); ORT's intra-op thread pool.

$table
MD
echo "wrote $results"
