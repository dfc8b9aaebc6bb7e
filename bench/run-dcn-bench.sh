#!/usr/bin/env bash
# Deformable convolution v2 cost, side by side in one run: one 3x3 layer, forward + backward, of
#  - PaddleX.Cloud.Vision's DeformConv2d (grid_sample + batched matmul in TorchSharp),
#  - the plain TorchSharp convolution of the same shape,
#  - torchvision's native deform_conv2d and PyTorch's conv2d (Debian python3-torch 1.13, torchvision 0.14),
# interleaved so background load hits every engine alike.
#   bench/run-dcn-bench.sh
# Env: THREADS (2), CHANNELS (512), SIZE (20: the stride-32 map of a 608-pixel input), BATCH (4), STEPS (10),
#      WARMUP (2), REPEATS (3), OUT (bench/results/dcn-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; CHANNELS=${CHANNELS:-512}; SIZE=${SIZE:-20}; BATCH=${BATCH:-4}; STEPS=${STEPS:-10}
WARMUP=${WARMUP:-2}; REPEATS=${REPEATS:-3}
OUT=${OUT:-bench/results/dcn-bench.txt}
mkdir -p "$(dirname "$OUT")"

# shellcheck source-path=SCRIPTDIR/..
source bench/bench-common.sh
require_debian_torch

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo -nodeReuse:false >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
PY="$PYTHON bench/baseline/torch_dcn.py"

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
args=(--channels "$CHANNELS" --size "$SIZE" --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")
for _ in $(seq "$REPEATS"); do
  for op in dcn conv; do
    run torchsharp "$NET" dcn --op "$op" "${args[@]}"
    # shellcheck disable=SC2086 # PY is a command with its arguments
    run pytorch $PY --op "$op" "${args[@]}"
  done
done

summary_table | sed 's/images\/s/maps\/s/' | tee -a "$OUT"
machine_footer "$LOAD_BEFORE" | tee -a "$OUT"
