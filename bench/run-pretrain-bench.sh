#!/usr/bin/env bash
# Fine-tuning from the built-in IMAGENET ResNet18 vs training from scratch, equal epochs and schedule, on a small
# texture set cut from the sample pictures of Debian's python3-skimage (apt-get install -y python3-skimage).
#   bench/run-pretrain-bench.sh
# Env: TRAIN_PER_CLASS (10), VAL_PER_CLASS (40), EPOCHS (5), LR (0.005), BATCH (8), SEEDS ("1 2 3"), THREADS (2),
#      OUT (bench/results/pretrain-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
TRAIN_PER_CLASS=${TRAIN_PER_CLASS:-10}; VAL_PER_CLASS=${VAL_PER_CLASS:-40}; EPOCHS=${EPOCHS:-5}; LR=${LR:-0.005}
BATCH=${BATCH:-8}; SEEDS=${SEEDS:-"1 2 3"}; THREADS=${THREADS:-2}; OUT=${OUT:-bench/results/pretrain-bench.txt}
DATA=${DATA:-/tmp/pdx-texture-set}; PRETRAIN=${PRETRAIN:-/tmp/pdx-bench-pretrain}
PYTHON=${PYTHON:-/usr/bin/python3}
if [ ! -f /usr/lib/python3/dist-packages/skimage/data/brick.png ]; then
  echo "needs Debian's scikit-image sample pictures: apt-get install -y python3-skimage" >&2
  exit 1
fi

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
for seed in $SEEDS; do
  rm -rf "$DATA" && "$PYTHON" bench/pretrain/make_texture_set.py "$DATA" "$TRAIN_PER_CLASS" "$VAL_PER_CLASS" "$seed"
  for weights in none IMAGENET; do
    $NET finetune --dir "$DATA" --pretrain "$weights" --pretrain-dir "$PRETRAIN" --model ResNet18 --size 64 \
      --batch "$BATCH" --epochs "$EPOCHS" --lr "$LR" --threads "$THREADS" --seed "$seed" 2>/dev/null \
      | grep '^RESULT' | sed "s/^RESULT/seed=$seed/" | tee -a "$OUT"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
