#!/usr/bin/env bash
# edgert against ONNX Runtime 1.30 (CPU, npm onnxruntime-node) on the real models, same
# input, same thread counts, in the same run. Prints a markdown table with both figures and
# the ratio (edgert / ORT: below 1 is better), and writes it with the machine to
# bench/RESULTS.md (or the file EDGERT_RESULTS names). Needs a host build (cmake --preset
# host && cmake --build --preset host), or another optimized one named by EDGERT_BUILD.
# Both run at 1 and 2 threads (edgert: --threads, its worker pool; ORT: intra-op threads).
# Each measurement is taken ROUNDS times (default 3), ORT and edgert alternating, and the
# median of each one's p50 is reported: on a shared machine a neighbour's burst then skews
# one round, not the table. The 1-thread runs of both are pinned to the same CPU
# (EDGERT_BENCH_CPU, default the last one this process may use): on the 2-vCPU VMs here one
# vCPU ran BlazeFace 35% slower than the other for hours, and an unpinned run measured
# whichever the scheduler picked.
#
#   bench/compare-ort.sh [ITERS]
#   ROUNDS=5 bench/compare-ort.sh 100
#   EDGERT_BUILD=build/mine EDGERT_RESULTS=build/mine/results.md bench/compare-ort.sh [ITERS]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
iters=${1:-200}
rounds=${ROUNDS:-3}
build=$(realpath "${EDGERT_BUILD:-$repo/build/host}")
cache=${EDGERT_CACHE:-$repo/.cache}
cpu=${EDGERT_BENCH_CPU:-$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')}
out=$repo/build/bench
results=${EDGERT_RESULTS:-$repo/bench/RESULTS.md}
mkdir -p "$out"
"$repo/toolchain/fetch-models.sh" >/dev/null

models=(
  "blazeface_front_128 1x128x128x3"
  "blazeface_back_256 1x256x256x3"
  "ppocr_v4_det 1x3x640x640 x=1x3x640x640"
  "ppocr_v4_rec 1x3x48x320 x=1x3x48x320"
)
# One table row from the rounds' JSON lines (edgert's in $1, ORT's in $2): medians of the
# p50s, cold starts and session times; p99/p50 of edgert's median round; the largest RSS.
# The fraction of peak: edgert's GFLOP/s at its median p50 over the core's FMA peak
# (bench/fma_peak, measured once on the pinned CPU) times the threads.
row() {
  python3 - "$1" "$2" "$3" "$4" "$peak" <<'PY'
import json, statistics, sys
e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
o = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
name, threads, peak = sys.argv[3], sys.argv[4], float(sys.argv[5])
med = lambda xs: statistics.median(xs)
ep50, op50 = med([r["p50_ms"] for r in e]), med([r["p50_ms"] for r in o])
mid = sorted(e, key=lambda r: r["p50_ms"])[len(e) // 2]
cells = [name, threads, f"{ep50:.3f}", f"{op50:.3f}", f"{ep50 / op50:.2f}x",
         f"{mid['p99_ms'] / mid['p50_ms']:.2f}", f"{med([r['cold_start_ms'] for r in e]):.2f}",
         f"{med([r['session_create_ms'] + r['first_run_ms'] for r in o]):.1f}",
         f"{max(r['cold_peak_rss_kib'] for r in e) / 1024:.1f}", f"{max(r['peak_rss_kib'] for r in o) / 1024:.1f}",
         str(e[0]["arena_bytes"] // 1024),
         f"{e[0]['flops'] / ep50 / 1e6:.1f}", f"{100 * e[0]['flops'] / ep50 / 1e6 / (peak * int(threads)):.0f}%"]
print("| " + " | ".join(cells) + " |")
PY
}

# The core's float32 peak, on the CPU the 1-thread runs use.
peakJson=$(taskset -c "$cpu" "$build/bench/fma_peak" --json)
peak=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["peak_gflops"])' "$peakJson")
peakIsa=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["isa"])' "$peakJson")

table="| model | threads | edgert p50 ms | ORT p50 ms | ratio p50 | edgert p99/p50 | edgert cold start ms | ORT session + first run ms | edgert peak RSS MiB | ORT peak RSS MiB | arena KiB | edgert GFLOP/s | of peak |
|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for entry in "${models[@]}"; do
  read -r name dims input <<<"$entry"
  extra=()
  [ -n "${input:-}" ] && extra=(--input "$input")
  # As a user compiles: no --target (the portable image; the loader picks this CPU's best
  # variants), unless EDGERT_TARGET names one (native, x86_64, reference, ...).
  target=()
  [ -n "${EDGERT_TARGET:-}" ] && target=(--target "$EDGERT_TARGET")
  "$build/toolchain/edgert-compile" "$cache/models/$name.onnx" -o "$out/$name.edgm" "${target[@]}" "${extra[@]}" 2>/dev/null
  n=$iters
  [ "$name" = ppocr_v4_det ] && n=$(( iters / 10 > 5 ? iters / 10 : 5 ))
  for threads in 1 2; do
    : >"$out/$name.$threads.edgert.jsonl"
    : >"$out/$name.$threads.ort.jsonl"
    pin=()
    [ "$threads" = 1 ] && pin=(taskset -c "$cpu")
    for ((round = 0; round < rounds; ++round)); do
      NODE_PATH=$cache/ort/node_modules "${pin[@]}" node "$repo/bench/ort_bench.mjs" "$cache/models/$name.onnx" "$dims" "$threads" "$n" >>"$out/$name.$threads.ort.jsonl"
      "${pin[@]}" "$build/runtime/edgert" bench "$out/$name.edgm" --threads "$threads" --iters "$n" --json >>"$out/$name.$threads.edgert.jsonl"
    done
    table+=$'\n'"$(row "$out/$name.$threads.edgert.jsonl" "$out/$name.$threads.ort.jsonl" "$name" "$threads")"
  done
done

target=$("$build/runtime/edgert" inspect "$out/ppocr_v4_det.edgm" | sed -n 's/^target: //p')
kernels=$("$build/runtime/edgert" inspect "$out/ppocr_v4_det.edgm" | sed -n 's/^kernels: //p')
machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
rev=$(git -C "$repo" describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null || echo unknown)
echo "$table"
cat >"$results" <<MD
# edgert vs ONNX Runtime: latest results

Produced by \`bench/compare-ort.sh $iters\` (edgert $rev, $rounds rounds, images compiled
for \`$target\`${EDGERT_TARGET:+ (--target $EDGERT_TARGET)}; PP-OCRv4 det's kernels here: $kernels) on: $machine.
Both run the same model on the same input in the same run, $rounds times alternating; each
figure is the median over the rounds (p99/p50: edgert's median round; RSS: the largest).
ORT is 1.30.0 CPU from npm \`onnxruntime-node\` with graph optimization "all". Ratios are
edgert / ORT (below 1: edgert is faster). edgert's cold start is a fresh process from exec to its first inference
completed (model mapped and validated included); ORT's is session creation plus the first
run inside an already running node process. Peak RSS: edgert's cold-start process; ORT's
node process. Threads: edgert's engine with its worker pool (\`edgert bench --threads N\`,
the caller plus N - 1 workers); ORT's intra-op thread pool. The 1-thread runs of both are
pinned to CPU $cpu (\`taskset\`); the 2-thread runs are not pinned.
GFLOP/s: twice the multiply-adds of the model's Conv, ConvTranspose, Gemm, MatMul and DepthwisePointwise ops
(\`edgert bench\`'s "work") over edgert's p50; of peak: that over the core's float32 peak
times the threads. The peak, \`bench/fma_peak\` on CPU $cpu: **$peak GFLOP/s** ($peakIsa, 12
independent FMA chains, one thread).

$table
MD
echo "wrote $results"
