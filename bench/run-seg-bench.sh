#!/usr/bin/env bash
# Segmentation, side by side in one run:
#  1. training images/s at 256x256, batch 8, 21 classes: PaddleX.Cloud.Vision DeepLabV3P-ResNet50_vd vs Debian
#     the same DeepLabV3+-ResNet50_vd in PyTorch (DeepLabV3P_same: layer for layer, parameter shapes checked
#     equal) and torchvision deeplabv3_resnet50, and UNet vs the same UNet in PyTorch
#     (bench/baseline/torch_seg_train.py), interleaved so background load hits both engines alike;
#  2. inference latency of the five segmentation models, TorchSharp eager vs ONNX Runtime (the exported graph).
#   bench/run-seg-bench.sh
# Env: THREADS (2), SIZE (256), BATCH (8), STEPS (3), WARMUP (1), REPEATS (2), RUNS (5),
#      OUT (bench/results/seg-bench.txt), MODELS ("DeepLabV3P UNet": the training rows to run),
#      INFER (1; 0 skips part 2)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; SIZE=${SIZE:-256}; BATCH=${BATCH:-8}; STEPS=${STEPS:-3}; WARMUP=${WARMUP:-1}
REPEATS=${REPEATS:-2}; RUNS=${RUNS:-5}; MODELS=${MODELS:-DeepLabV3P UNet}; INFER=${INFER:-1}
OUT=${OUT:-bench/results/seg-bench.txt}
mkdir -p "$(dirname "$OUT")"

# shellcheck source-path=SCRIPTDIR/..
source bench/bench-common.sh
require_debian_torch

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo -nodeReuse:false >/dev/null
if [ "$INFER" != 0 ]; then dotnet build -c Release bench/PaddleX.Cloud.Bench.Inference -v q -nologo -nodeReuse:false >/dev/null; fi
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
PY="$PYTHON bench/baseline/torch_seg_train.py"

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

for _ in $(seq "$REPEATS"); do
  for model in $MODELS; do
    args=(--size "$SIZE" --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")
    # shellcheck disable=SC2086 # NET and PY are a command with its arguments
    run torchsharp $NET train --model "$model" "${args[@]}"
    if [ "$model" = DeepLabV3P ]; then
      # shellcheck disable=SC2086
      run pytorch $PY train --model DeepLabV3P_same "${args[@]}"
    fi
    # shellcheck disable=SC2086
    run pytorch $PY train --model "$model" "${args[@]}"
  done
done

summary_table
if [ "$INFER" != 0 ]; then
  bench/PaddleX.Cloud.Bench.Inference/bin/Release/net10.0/PaddleX.Cloud.Bench.Inference \
    --threads "$THREADS" --runs "$RUNS" --warmup 1 --seg-size "$SIZE" \
    --models DeepLabV3P,UNet,HRNet_W18,FastSCNN,BiSeNetV2 | tee -a "$OUT"
  echo
fi
machine_footer "$LOAD_BEFORE" | tee -a "$OUT"
