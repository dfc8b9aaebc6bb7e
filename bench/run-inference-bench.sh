#!/usr/bin/env bash
# Inference latency: TorchSharp eager vs ONNX Runtime (the exporter's ONNX graph), ResNet18 and
# MobileNetV2 at 224x224, single image and batch 32, side by side in one process.
#   bench/run-inference-bench.sh
# Env: THREADS (2), RUNS (10), WARMUP (2), OUT (bench/results/inference-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; RUNS=${RUNS:-10}; WARMUP=${WARMUP:-2}
OUT=${OUT:-bench/results/inference-bench.txt}
mkdir -p "$(dirname "$OUT")"
dotnet build -c Release bench/PaddleX.Cloud.Bench.Inference -v q -nologo >/dev/null
bench/PaddleX.Cloud.Bench.Inference/bin/Release/net10.0/PaddleX.Cloud.Bench.Inference \
  --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" | tee "$OUT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
