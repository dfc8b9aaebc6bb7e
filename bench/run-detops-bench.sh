#!/usr/bin/env bash
# Detection ops, side by side in one run on identical inputs: ours (PaddleX.Cloud.Vision.Detection.Ops on
# TorchSharp, `detops` mode of bench/PaddleX.Cloud.Bench) and torchvision's native C++ ops (Debian
# python3-torchvision 0.14, bench/baseline/torch_detops.py), interleaved so background load hits both alike:
#   NMS over 1k and 10k boxes (IoU 0.5), batched NMS over 10k boxes of 80 classes, RoIAlign of 512 rois x 256
#   channels at 7x7 (sampling 2, aligned) forward, and forward + backward.
# Per op: median wall ms per call, CPU ms per call (all threads; steadier than wall time on a loaded machine) and a
# check (kept count, or sums of output/gradient) that shows both engines computed the same thing.
#   bench/run-detops-bench.sh
# Env: THREADS (2), RUNS (10), WARMUP (2), REPEATS (2), OPS (all five), OUT (bench/results/detops-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; RUNS=${RUNS:-10}; WARMUP=${WARMUP:-2}; REPEATS=${REPEATS:-2}
OPS=${OPS:-nms-1k nms-10k batched-nms-10k roi-align roi-align-fwd-bwd}
OUT=${OUT:-bench/results/detops-bench.txt}
mkdir -p "$(dirname "$OUT")"

# shellcheck source-path=SCRIPTDIR/..
source bench/bench-common.sh
require_debian_torch

DATA=$(mktemp -d "${BENCH_DIR:-/tmp}/pxdetops.XXXXXX")
trap 'rm -rf "$DATA"' EXIT
dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo -nodeReuse:false >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
PY="$PYTHON bench/baseline/torch_detops.py"
$PY make --dir "$DATA"

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$REPEATS"); do
  for op in $OPS; do
    args=(--dir "$DATA" --op "$op" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP")
    run torchsharp "$NET" detops "${args[@]}"
    # shellcheck disable=SC2086 # PY is a command with its arguments
    run torchvision $PY bench "${args[@]}"
  done
done

TABLE=$(awk '{k=$1" | "$2" | "$3; if (k in w) {w[k]=w[k]", "$4; c[k]=c[k]", "$5} else {w[k]=$4; c[k]=$5; chk[k]=$6; keys[++n]=k}}
  END{for(i=1;i<=n;i++) print "| "keys[i]" | "w[keys[i]]" | "c[keys[i]]" | "chk[keys[i]]" |"}' "$OUT")
printf '\n| engine | op | threads | median ms per call (runs) | CPU ms per call (runs) | check |\n|---|---|---|---|---|---|\n%s\n\n' \
  "$TABLE" | tee -a "$OUT"
machine_footer "$LOAD_BEFORE" | tee -a "$OUT"
