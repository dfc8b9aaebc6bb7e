#!/usr/bin/env bash
# Segmentation, side by side in one run:
#  1. training images/s at 256x256, batch 8, 21 classes: PaddleX.Cloud.Vision DeepLabV3P-ResNet50_vd vs Debian
#     torchvision deeplabv3_resnet50, and UNet vs the same UNet in PyTorch (bench/baseline/torch_seg_train.py),
#     interleaved so background load hits both engines alike;
#  2. inference latency of the five segmentation models, TorchSharp eager vs ONNX Runtime (the exported graph).
#   bench/run-seg-bench.sh
# Env: THREADS (2), SIZE (256), BATCH (8), STEPS (3), WARMUP (1), REPEATS (2), RUNS (5),
#      OUT (bench/results/seg-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; SIZE=${SIZE:-256}; BATCH=${BATCH:-8}; STEPS=${STEPS:-3}; WARMUP=${WARMUP:-1}
REPEATS=${REPEATS:-2}; RUNS=${RUNS:-5}
OUT=${OUT:-bench/results/seg-bench.txt}
mkdir -p "$(dirname "$OUT")"

PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's interpreter (a pyenv python3 on PATH does not see python3-torch)
if ! "$PYTHON" -c 'import torch, torchvision' 2>/dev/null; then
  echo "baseline needs Debian's PyTorch: apt-get install -y python3-torch python3-torchvision" >&2
  exit 1
fi

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo >/dev/null
dotnet build -c Release bench/PaddleX.Cloud.Bench.Inference -v q -nologo >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
PY="$PYTHON bench/baseline/torch_seg_train.py"

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
run() { # engine, command...
  local engine=$1; shift
  local line
  line=$("$@" | grep '^RESULT') || { echo "FAILED: $*" >&2; return 1; }
  echo "$engine ${line#RESULT }" | tee -a "$OUT"
}

for _ in $(seq "$REPEATS"); do
  for model in DeepLabV3P UNet; do
    args=(--model "$model" --size "$SIZE" --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")
    # shellcheck disable=SC2086 # NET and PY are a command with its arguments
    run torchsharp $NET train "${args[@]}"
    # shellcheck disable=SC2086
    run pytorch $PY train "${args[@]}"
  done
done

echo
echo "| engine | what | model | size | batch | threads | images/s (runs) |"
echo "|---|---|---|---|---|---|---|"
awk '{k=$1" | "$2" | "$3" | "$4" | "$5" | "$6; if (k in v) v[k]=v[k]", "$7; else {v[k]=$7; keys[++n]=k}} END{for(i=1;i<=n;i++) print "| "keys[i]" | "v[keys[i]]" |"}' "$OUT"
echo
bench/PaddleX.Cloud.Bench.Inference/bin/Release/net10.0/PaddleX.Cloud.Bench.Inference \
  --threads "$THREADS" --runs "$RUNS" --warmup 1 --seg-size "$SIZE" \
  --models DeepLabV3P,UNet,HRNet_W18,FastSCNN,BiSeNetV2 | tee -a "$OUT"
echo
echo "machine: $(nproc) cores, load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
echo "pytorch: $("$PYTHON" -c 'import torch, torchvision; print(torch.__version__, "torchvision", torchvision.__version__)')" | tee -a "$OUT"
