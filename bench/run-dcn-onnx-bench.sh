#!/usr/bin/env bash
# Deformable convolution v2 in ONNX: one 3x3 layer at inference, side by side in one process on the same inputs —
# TorchSharp's DeformConv2d, our export of it (GridSample + MatMul, opset 17) in ONNX Runtime, and ONNX's own
# DeformConv node (opset 19) in ONNX Runtime — each checked against torchvision's deform_conv2d (Debian python3-torch).
#   bench/run-dcn-onnx-bench.sh
# Env: THREADS (2), SHAPES ("512x19 256x38": channels x size; the stride-32 and stride-16 maps of PP-YOLOv2 at
#      608 px), RUNS (20), WARMUP (3), OUT (bench/results/dcn-onnx-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; SHAPES=${SHAPES:-"512x19 256x38"}; RUNS=${RUNS:-20}; WARMUP=${WARMUP:-3}
OUT=${OUT:-bench/results/dcn-onnx-bench.txt}
mkdir -p "$(dirname "$OUT")"

# shellcheck source-path=SCRIPTDIR/..
source bench/bench-common.sh
require_debian_torch

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
dotnet build -c Release bench/PaddleX.Cloud.Bench.Inference -v q -nologo -nodeReuse:false >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: > "$OUT"
for shape in $SHAPES; do
  channels=${shape%x*}; size=${shape#*x}
  "$PYTHON" bench/baseline/dcn_onnx_models.py --out "$WORK/$shape" --channels "$channels" --size "$size" >/dev/null
  bench/PaddleX.Cloud.Bench.Inference/bin/Release/net10.0/PaddleX.Cloud.Bench.Inference \
    --dcn-onnx "$WORK/$shape" --channels "$channels" --size "$size" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" | tee -a "$OUT"
  echo | tee -a "$OUT"
done
machine_footer "$LOAD_BEFORE" | tee -a "$OUT"
