#!/usr/bin/env bash
# Training throughput: PaddleX.Cloud.Vision (TorchSharp 0.107 / libtorch 2.10 CPU) vs Debian python3-torch,
# side by side on the same machine, same thread count, interleaved so background load hits both alike.
#   bench/run-train-bench.sh                 # 64x64 (+224x224 with FULL=1)
# Env: THREADS (2), STEPS (20), WARMUP (3), REPEATS (2), FULL (0), OUT (bench/results/train-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; STEPS=${STEPS:-20}; WARMUP=${WARMUP:-3}; REPEATS=${REPEATS:-2}; FULL=${FULL:-0}
OUT=${OUT:-bench/results/train-bench.txt}
DATA=${DATA:-/tmp/pdx-bench-data}
mkdir -p "$(dirname "$OUT")"

# shellcheck source-path=SCRIPTDIR/..
source bench/bench-common.sh
require_debian_torch

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
PY="$PYTHON bench/baseline/torch_train.py"
[ -f "$DATA/train_list.txt" ] || $NET make-data --dir "$DATA" --count 256 --source-size 256

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

configs=("train ResNet18 64 $STEPS" "train MobileNetV2 64 $STEPS" "infer ResNet18 64 $STEPS" "infer MobileNetV2 64 $STEPS")
if [ "$FULL" = 1 ]; then
  configs+=("train ResNet18 224 $((STEPS / 4 > 2 ? STEPS / 4 : 3))" "train MobileNetV2 224 $((STEPS / 4 > 2 ? STEPS / 4 : 3))")
fi

for _ in $(seq "$REPEATS"); do
  for c in "${configs[@]}"; do
    read -r mode model size steps <<<"$c"
    args=(--model "$model" --size "$size" --batch 32 --steps "$steps" --warmup "$WARMUP" --threads "$THREADS")
    # shellcheck disable=SC2086 # NET and PY are a command with its arguments
    run torchsharp $NET "$mode" "${args[@]}"
    # shellcheck disable=SC2086
    run pytorch $PY "$mode" "${args[@]}"
  done
  # shellcheck disable=SC2086
  run torchsharp $NET data --dir "$DATA" --size 64 --batch 32 --threads "$THREADS" --epochs 2
  # shellcheck disable=SC2086
  run pytorch $PY data --dir "$DATA" --size 64 --batch 32 --threads "$THREADS" --epochs 2
done

summary_table
machine_footer "$LOAD_BEFORE"
