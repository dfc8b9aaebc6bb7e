#!/usr/bin/env bash
# Training throughput: PaddleX.Cloud.Vision (TorchSharp 0.107 / libtorch 2.10 CPU) vs Debian python3-torch,
# side by side on the same machine, same thread count, interleaved so background load hits both alike.
#   bench/run-train-bench.sh                 # 64x64 and 224x224 models, the data pipeline, single layers
# Prints one table: images/s per wall second (runs, and TorchSharp ÷ PyTorch of the medians) and the process's CPU
# seconds per step (PyTorch ÷ TorchSharp: above 1 means TorchSharp needs less CPU), then the per-layer table
# (forward + backward of single MobileNetV2/ResNet18 layers at 224-pixel shapes, CPU ms per iteration). At 224x224
# TorchSharp also runs with glibc's default heap settings (--heap default), the A/B of NativeHeap.
# OMP_WAIT_POLICY=PASSIVE (the default here) keeps idle OpenMP threads from spinning, so CPU time is work done.
# Env: THREADS (2), STEPS (20), WARMUP (3), REPEATS (2), FULL (1: add 224x224), LAYERS (1), OMP_WAIT_POLICY (PASSIVE),
#      OUT (bench/results/train-bench.txt: result lines; the tables go to bench/results/train-bench.md)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; STEPS=${STEPS:-20}; WARMUP=${WARMUP:-3}; REPEATS=${REPEATS:-2}; FULL=${FULL:-1}; LAYERS=${LAYERS:-1}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
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
    if [ "$size" -ge 224 ]; then # A/B: glibc's default heap, as training ran before NativeHeap
      # shellcheck disable=SC2086
      run torchsharp-default-heap $NET "$mode" "${args[@]}" --heap default
    fi
  done
  # shellcheck disable=SC2086
  run torchsharp $NET data --dir "$DATA" --size 64 --batch 32 --threads "$THREADS" --epochs 2
  # shellcheck disable=SC2086
  run pytorch $PY data --dir "$DATA" --size 64 --batch 32 --threads "$THREADS" --epochs 2
  if [ "$LAYERS" = 1 ]; then
    # shellcheck disable=SC2086
    $NET layers --batch 32 --steps 5 --warmup 1 --threads "$THREADS" | sed -n 's/^RESULT /torchsharp /p' | tee -a "$OUT"
    # shellcheck disable=SC2086
    $PY layers --batch 32 --steps 5 --warmup 1 --threads "$THREADS" | sed -n 's/^RESULT /pytorch /p' | tee -a "$OUT"
  fi
done

TABLE=${OUT%.txt}.md
{
  "$PYTHON" bench/train_table.py "$OUT"
  machine_footer "$LOAD_BEFORE"
  echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
} | tee "$TABLE"
