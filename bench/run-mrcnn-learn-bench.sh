#!/usr/bin/env bash
# Mask R-CNN ResNet50-FPN learning benchmark (issue 12): from scratch through the instance-segmentation trainer on
# generated shapes with polygon outlines, box and mask mAP@0.5 (COCOeval at IoU 0.5) of the validation pictures
# with the wall and CPU seconds of training — the narrowed CI-sized network and PaddleX's full widths side by side
# (bench/PaddleX.Cloud.Bench/MaskRcnnLearnBench.cs says what is run).
#   bench/run-mrcnn-learn-bench.sh
# Env: THREADS (2), EPOCHS (8), COUNT (80), LR (0.005), SMALL ("64 64 32": side, channels, RoIs per picture),
#      FULL ("128 256 512"; empty to skip), OUT (bench/results/mrcnn-learn-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}; EPOCHS=${EPOCHS:-8}; COUNT=${COUNT:-80}; LR=${LR:-0.005}
SMALL=${SMALL:-64 64 32}; FULL=${FULL-128 256 512}
OUT=${OUT:-bench/results/mrcnn-learn-bench.txt}
mkdir -p "$(dirname "$OUT")"

dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo -nodeReuse:false >/dev/null
NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench

: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
configs=("$SMALL")
[ -n "$FULL" ] && configs+=("$FULL")
for config in "${configs[@]}"; do
  read -r side channels rois <<<"$config"
  line=$("$NET" mrcnn-learn --side "$side" --channels "$channels" --rois "$rois" --epochs "$EPOCHS" --count "$COUNT" \
    --lr "$LR" --threads "$THREADS" | grep '^RESULT') || { echo "FAILED: $config" >&2; exit 1; }
  echo "${line#RESULT }" | tee -a "$OUT"
done

echo
echo "| side | channels | RoIs/picture | epochs | outcome | box mAP@0.5 | mask mAP@0.5 | wall s | CPU s |"
echo "|---|---|---|---|---|---|---|---|---|"
awk '{print "| "$2" | "$3" | "$4" | "$5" | "$6" | "$7" | "$8" | "$9" | "$10" |"}' "$OUT"
echo
echo "machine: $(nproc) cores, load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
