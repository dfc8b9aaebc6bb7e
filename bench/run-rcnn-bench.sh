#!/usr/bin/env bash
# Faster R-CNN or Mask R-CNN ResNet50-FPN, side by side in one run: training and inference images/s of
# PaddleX.Cloud.Vision's FasterRCNN / MaskRCNN vs Debian's python3-torchvision fasterrcnn_resnet50_fpn /
# maskrcnn_resnet50_fpn at the same input size, interleaved so background load hits both engines alike
# (bench/baseline/torch_rcnn_bench.py says what is compared).
#   bench/run-rcnn-bench.sh                 # Faster R-CNN
#   MODEL=MaskRCNN bench/run-rcnn-bench.sh  # Mask R-CNN
# Env: MODEL (FasterRCNN|MaskRCNN), THREADS (2), SIZE (512), BATCH (2), STEPS (5), WARMUP (1), REPEATS (3),
#      OUT (bench/results/rcnn-bench.txt, maskrcnn-bench.txt for MaskRCNN)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-FasterRCNN}
THREADS=${THREADS:-2}; SIZE=${SIZE:-512}; BATCH=${BATCH:-2}; STEPS=${STEPS:-5}; WARMUP=${WARMUP:-1}; REPEATS=${REPEATS:-3}
case "$MODEL" in
  FasterRCNN) MASK=(); OUT=${OUT:-bench/results/rcnn-bench.txt} ;;
  MaskRCNN) MASK=(--mask); OUT=${OUT:-bench/results/maskrcnn-bench.txt} ;;
  *) echo "MODEL must be FasterRCNN or MaskRCNN, not $MODEL" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$OUT")"

# shellcheck source-path=SCRIPTDIR/..
source bench/bench-common.sh
require_debian_torch

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo -nodeReuse:false >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
PY="$PYTHON bench/baseline/torch_rcnn_bench.py"

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
args=(--size "$SIZE" --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" "${MASK[@]}")
for _ in $(seq "$REPEATS"); do
  for mode in train infer; do
    # shellcheck disable=SC2086 # NET and PY are a command with its arguments
    run torchsharp $NET "rcnn-$mode" --backbone ResNet50 "${args[@]}"
    # shellcheck disable=SC2086
    run pytorch $PY "$mode" "${args[@]}"
  done
done

summary_table
machine_footer "$LOAD_BEFORE" | tee -a "$OUT"
