#!/usr/bin/env bash
# int8 quantisation: ONNX Runtime CPU latency (batch 1) and file size, float32 vs int8 (QDQ), as built and pruned,
# ResNet18 and MobileNetV2 (224x224) and YOLOv3-MobileNetV1 (DET_SIZE, with its NMS), side by side in one process
# (alternating runs); pruned networks twice: kept channel counts rounded to multiples of 8 (as pruned retraining
# does) and exact.
#   bench/run-quant-bench.sh
# Env: THREADS (2), RUNS (30), WARMUP (3), MODELS (ResNet18,MobileNetV2,YOLOv3-MobileNetV1), DET_SIZE (416), OUT (bench/results/quant-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; RUNS=${RUNS:-30}; WARMUP=${WARMUP:-3}; MODELS=${MODELS:-ResNet18,MobileNetV2,YOLOv3-MobileNetV1}; DET_SIZE=${DET_SIZE:-416}
OUT=${OUT:-bench/results/quant-bench.txt}
mkdir -p "$(dirname "$OUT")"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
dotnet build -c Release bench/PaddleX.Cloud.Bench.Inference -v q -nologo >/dev/null
bench/PaddleX.Cloud.Bench.Inference/bin/Release/net10.0/PaddleX.Cloud.Bench.Inference \
  --quant --det-size "$DET_SIZE" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" --models "$MODELS" | tee "$OUT"
echo "machine: $(nproc) cores, load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
