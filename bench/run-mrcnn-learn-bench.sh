#!/usr/bin/env bash
# Mask R-CNN learning benchmark (issue 12): from scratch on generated shapes with polygon outlines, box and mask
# mAP@0.5 (COCOeval at IoU 0.5) of the validation pictures with the wall and CPU seconds of training. Two rows:
#  - "CI test": the suite's learning test (tests/PaddleX.Cloud.Detection.Tests Rcnn/MaskRcnnLearningTests: the
#    MaskRCNN class on a ResNet34 body, 64 px, 64-channel pyramid and mask branch, 32 RoIs per picture, 6 epochs),
#    run by `dotnet test` and read from the line it prints;
#  - "bench": Mask R-CNN ResNet50-FPN through the instance-segmentation trainer (bench/PaddleX.Cloud.Bench
#    MaskRcnnLearnBench.cs), by default at 128 px with PaddleX's widths (256 channels, 512 RoIs per picture).
#   bench/run-mrcnn-learn-bench.sh
# Env: CI (1; 0 skips the CI-test row), FULL ("128 256 512": side, channels, RoIs per picture of the bench row;
#      several rows separated by ";", empty to skip), THREADS (2), EPOCHS (8), COUNT (80), LR (0.005) for the bench
#      rows, OUT (bench/results/mrcnn-learn-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
CI=${CI:-1}; FULL=${FULL-128 256 512}
THREADS=${THREADS:-2}; EPOCHS=${EPOCHS:-8}; COUNT=${COUNT:-80}; LR=${LR:-0.005}
OUT=${OUT:-bench/results/mrcnn-learn-bench.txt}
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$CI" = 1 ]; then
  TESTS=tests/PaddleX.Cloud.Detection.Tests
  dotnet build "$TESTS" -v q -nologo -nodeReuse:false >/dev/null
  # The test prints: MRCNN-LEARN untrained mask mAP@0.5 U; after E epochs (Outcome) box B mask M; W s wall, C CPU-s
  line=$(dotnet test "$TESTS" --no-build --filter "FullyQualifiedName~Rcnn.MaskRcnnLearningTests" \
    --logger "console;verbosity=detailed" 2>&1 | grep -m1 -o 'MRCNN-LEARN .*') || { echo "FAILED: CI test row" >&2; exit 1; }
  echo "$line" | awk '{gsub(/[();,]/, ""); print "CI-test ResNet34 64 64 32 "$7" "$9" "$5" "$11" "$13" "$14" "$17}' | tee -a "$OUT"
fi

if [ -n "$FULL" ]; then
  dotnet build -c Release bench/PaddleX.Cloud.Bench -v q -nologo -nodeReuse:false >/dev/null
  NET=bench/PaddleX.Cloud.Bench/bin/Release/net10.0/PaddleX.Cloud.Bench
  IFS=';' read -ra configs <<<"$FULL"
  for config in "${configs[@]}"; do
    read -r side channels rois <<<"$config"
    line=$("$NET" mrcnn-learn --side "$side" --channels "$channels" --rois "$rois" --epochs "$EPOCHS" --count "$COUNT" \
      --lr "$LR" --threads "$THREADS" | grep '^RESULT') || { echo "FAILED: $config" >&2; exit 1; }
    # RESULT mrcnn-learn side channels rois epochs outcome box mask wall cpu
    echo "$line" | awk '{print "bench ResNet50 "$3" "$4" "$5" "$6" "$7" - "$8" "$9" "$10" "$11}' | tee -a "$OUT"
  done
fi

echo
echo "| row | body | side | channels | RoIs/picture | epochs | outcome | untrained mask mAP@0.5 | box mAP@0.5 | mask mAP@0.5 | wall s | CPU s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
awk '{printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; print ""}' "$OUT"
echo
echo "machine: $(nproc) cores, load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
