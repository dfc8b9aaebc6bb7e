#!/usr/bin/env bash
# Dataset import benchmark: the import (check + full decode of every picture + copy) against
# `cp -r` of the same folder, images/s and peak RSS side by side. Page cache warm for both.
# Usage: bench/run-import-bench.sh [n-classification=10000] [n-voc=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
CLS=${1:-10000}
VOC=${2:-2000}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/pxbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
dotnet build -c Release bench/PaddleX.Cloud.Bench.Import -o "$WORK/bin" -v q -nologo >/dev/null
BENCH="dotnet $WORK/bin/PaddleX.Cloud.Bench.Import.dll"
$BENCH generate "$WORK/data" "$CLS" "$VOC"
sync

measure() { # label, n, command...
  local label=$1 n=$2; shift 2
  local out
  out=$( { /usr/bin/time -f '%e %M %U %S' "$@" >/dev/null; } 2>&1 | tail -1 )
  read -r secs kb user sys <<<"$out"
  awk -v l="$label" -v n="$n" -v s="$secs" -v k="$kb" -v u="$user" -v y="$sys" 'BEGIN { printf "%-32s %6d images %7.2f s %7.0f images/s  peak RSS %5.0f MiB  cpu %5.2f s user + %5.2f s sys\n", l, n, s, (s > 0 ? n / s : 0), k / 1024, u, y }'
}

echo "machine: $(nproc) cores, $(uname -r); dotnet $(dotnet --version)"
for round in 1 2 3; do
  echo "--- round $round"
  for set in cls:classification:$CLS voc:detection:$VOC; do
    IFS=: read -r dir type n <<<"$set"
    cat "$WORK/data/$dir"/*/* >/dev/null  # warm the page cache for both contenders
    rm -rf "$WORK/cp" "$WORK/import"
    measure "cp -r ($dir)" "$n" cp -r "$WORK/data/$dir" "$WORK/cp"
    # shellcheck disable=SC2086 # BENCH is a command with its arguments
    measure "import $type ($dir)" "$n" $BENCH import "$type" "$WORK/data/$dir" "$WORK/import"
  done
done
