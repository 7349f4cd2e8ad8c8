#!/usr/bin/env bash
# The service over a long run (not in CI): `edgert run` on the synthetic source and on a
# video file looping at 30 fps, side by side, each for MINUTES; every 10 s it samples each
# process's resident memory, open file descriptors and threads (/proc/PID), and the frames,
# drops and inference p99 from the service's Prometheus file. At the end it prints, per
# run, the first and last sample and the extremes, and says whether RSS stayed flat, the
# fds and threads stayed put and no frame was dropped.
#
#   bench/soak.sh [MINUTES]       default 60
#
# Environment: EDGERT_BUILD (default build/host), EDGERT_SOAK_DIR (default build/soak: the
# configs, the video file, each run's log and samples.tsv), EDGERT_SOAK_THREADS (the
# engine's threads, default 1), EDGERT_SOAK_INTERVAL (seconds between samples, default 10).
# The model is BlazeFace front compiled for this CPU (toolchain/fetch-models.sh fetches it);
# the video is Debian's astronaut photo (toolchain/fetch-testdata.sh) panned over 60 frames
# of raw RGB.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-60}
build=${EDGERT_BUILD:-build/host}
dir=${EDGERT_SOAK_DIR:-build/soak}
threads=${EDGERT_SOAK_THREADS:-1}
interval=${EDGERT_SOAK_INTERVAL:-10}
edgert=$build/runtime/edgert
[[ $minutes =~ ^[0-9]+$ && $minutes -ge 1 ]] || { echo "soak.sh: MINUTES: expected a whole number >= 1, found '$minutes'" >&2; exit 2; }
[[ -x $edgert ]] || { echo "soak.sh: $edgert not found: build first (cmake --preset host && cmake --build --preset host)" >&2; exit 2; }

mkdir -p "$dir"
./toolchain/fetch-models.sh >/dev/null
photo=$(./toolchain/fetch-testdata.sh)
model=$dir/blazeface_front_128.edgm
"$build/toolchain/edgert-compile" .cache/models/blazeface_front_128.onnx -o "$model" --target native >/dev/null

# The file source: 60 frames of raw RGB, the photo (512x512) panned 8 pixels a frame
# (ImageMagick's `convert` decodes the PNG; python3 pans it).
video=$dir/astronaut-pan.rgb
if [[ ! -s $video ]]; then
  convert "$photo" ppm:- | python3 -c '
import sys
data = sys.stdin.buffer.read()
fields, pos = [], 0
while len(fields) < 4:  # P6, width, height, maxval: whitespace-separated, then one byte
    while data[pos:pos + 1].isspace(): pos += 1
    end = pos
    while not data[end:end + 1].isspace(): end += 1
    fields.append(data[pos:end]); pos = end
pixels = data[pos + 1:]
w, h = int(fields[1]), int(fields[2])
assert fields[0] == b"P6" and (w, h) == (512, 512), fields
rows = [pixels[y * w * 3:(y + 1) * w * 3] for y in range(h)]
out = open(sys.argv[1], "wb")
for i in range(60):
    s = (i * 8 % w) * 3
    out.write(b"".join(r[s:] + r[:s] for r in rows))
' "$video.tmp"
  mv "$video.tmp" "$video"
fi
camera_file="source = \"$(realpath "$video")\"
width = 512
height = 512
fps = 30"

write_config() {  # NAME CAMERA-LINES
  cat >"$dir/$1.toml" <<EOF
# bench/soak.sh: the $1 run.
[service]
model = "$(realpath "$model")"
threads = $threads

[camera]
$2

[preprocess]
resize = "stretch"
channels = "rgb"
mean = [127.5, 127.5, 127.5]
scale = [0.0078431373, 0.0078431373, 0.0078431373]

[postprocess]
kind = "blazeface"
score_threshold = 0.75

[output]
detections = "file:$(realpath "$dir")/$1.jsonl"
status_interval_s = 10.0
prometheus = "$(realpath "$dir")/$1.prom"

[idle]
action = "none"
EOF
}
write_config synthetic 'source = "synthetic"
width = 640
height = 480
fps = 30'
write_config file "$camera_file"

metric() {  # FILE NAME -> the value, or "-"
  awk -v m="$2" '$1 == m { print $2; found = 1 } END { if (!found) print "-" }' "$1" 2>/dev/null || echo -
}

declare -A pid
for run in synthetic file; do
  rm -f "$dir/$run.jsonl" "$dir/$run.prom"
  EDGERT_LOG_TARGET=stderr "$edgert" run --config "$dir/$run.toml" >"$dir/$run.log" 2>&1 &
  pid[$run]=$!
  printf 'seconds\trss_kib\tfds\tthreads\tframes\tdrops\tp99_ms\n' >"$dir/$run.samples.tsv"
done
trap 'kill ${pid[synthetic]} ${pid[file]} 2>/dev/null || true' EXIT
echo "soak: $minutes min, synthetic (pid ${pid[synthetic]}) and $(basename "$video") (pid ${pid[file]}), $threads thread(s), a sample every ${interval} s in $dir"

start=$(date +%s)
end=$((start + minutes * 60))
while :; do
  sleep "$interval"
  now=$(date +%s)
  for run in synthetic file; do
    p=${pid[$run]}
    if [[ ! -d /proc/$p ]]; then
      echo "soak: the $run run (pid $p) ended after $((now - start)) s; its log:" >&2
      tail -20 "$dir/$run.log" >&2
      exit 1
    fi
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$p/status")
    fds=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 | wc -l)
    prom=$dir/$run.prom
    frames=$(metric "$prom" edgert_frames_total)
    drops=$(metric "$prom" edgert_camera_dropped_frames_total)
    p99=$(metric "$prom" 'edgert_inference_latency_seconds{quantile="0.99"}')
    [[ $p99 == - ]] || p99=$(awk -v s="$p99" 'BEGIN { printf "%.2f", s * 1000 }')
    printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' $((now - start)) "$rss" "$fds" "$thr" "$frames" "$drops" "$p99" \
      >>"$dir/$run.samples.tsv"
  done
  [[ $now -ge $end ]] && break
done

status=0
for run in synthetic file; do
  kill -TERM "${pid[$run]}"
  wait "${pid[$run]}" || { echo "soak: the $run run exited with status $? on SIGTERM" >&2; status=1; }
  # The first minute is start-up (the Prometheus file is written every status interval).
  awk -F'\t' -v run="$run" '
    NR == 1 { next }
    { n++; rss[n] = $2; fds[n] = $3; thr[n] = $4; frames[n] = $5; drops[n] = $6; p99[n] = $7; sec[n] = $1 }
    END {
      first = 1; while (first < n && sec[first] < 60) first++
      lo = hi = rss[first]; fmin = fmax = fds[first]; tmin = tmax = thr[first]; pmax = 0; psum = 0; pn = 0
      for (i = first; i <= n; i++) {
        if (rss[i] < lo) lo = rss[i]; if (rss[i] > hi) hi = rss[i]
        if (fds[i] < fmin) fmin = fds[i]; if (fds[i] > fmax) fmax = fds[i]
        if (thr[i] < tmin) tmin = thr[i]; if (thr[i] > tmax) tmax = thr[i]
        if (p99[i] != "-") { if (p99[i] + 0 > pmax) pmax = p99[i] + 0; psum += p99[i]; pn++ }
      }
      fps = (sec[n] > sec[first] && frames[n] != "-" && frames[first] != "-") ? (frames[n] - frames[first]) / (sec[n] - sec[first]) : 0
      printf "soak: %s: %d samples over %d s after the first minute: RSS %d..%d KiB (first %d, last %d, %+d KiB), fds %d..%d, threads %d..%d, frames %s (%.1f fps), drops %s, p99 mean %.2f ms max %.2f ms\n",
        run, n - first + 1, sec[n] - sec[first], lo, hi, rss[first], rss[n], rss[n] - rss[first], fmin, fmax, tmin, tmax, frames[n], fps, drops[n], pn ? psum / pn : 0, pmax
      verdict = (hi - lo <= 512 && fmin == fmax && tmin == tmax && drops[n] == 0) ? "flat" : "NOT FLAT"
      printf "soak: %s: %s (RSS within 512 KiB, fds and threads constant, no drops)\n", run, verdict
      exit verdict != "flat"
    }' "$dir/$run.samples.tsv" || status=1
done
exit $status
