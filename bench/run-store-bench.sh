#!/usr/bin/env bash
# Metadata store under load: the real server over loopback on a workspace of DATASETS datasets and
# PROJECTS projects, CLIENTS clients for DURATION s of mixed traffic (70 % reads, 30 % writes; see
# bench/PaddleX.Cloud.Bench.Store/Program.cs), once with this tree's store and once with the
# previous design (whole-Workspace rewrite per change), built from BASE in a temporary git worktree.
# Two mixes: steady (creates balanced by deletes: the workspace stays at the seeded size) and
# growing (every dataset/project write is a create: the workspace grows by thousands a second).
# Then the store alone (no HTTP) with CLIENTS concurrent writers for STORE_SECONDS s, both designs:
# the runner is copied into the previous tree and built against its store.
#   bench/run-store-bench.sh
# The load generator asks for gzip and decompresses, as Python requests does; this tree's server is
# also run once against a client that asks for no compression (the previous server never compresses).
# Then each request kind alone (PROFILE_CLIENTS clients, PROFILE_SECONDS s each) against both servers:
# the server's and the load generator's CPU time per request of that kind (where the time goes).
# Each server runs with bench/PaddleX.Cloud.Bench.Store as a startup hook that records its garbage
# collections, allocations (also on the large-object heap), thread pool and list bodies; the load
# generator prints them per run and per request kind.
# WARMUP is 30 s because the server GC sizes its heaps over the first ~25 s of load (RSS sampled
# every second: docs/metadata-store.md, "Memory"); the load generator prints that series. The
# growing mix keeps GROWING_WARMUP = 10 s (as runs 1-10): after 30 s of creates its workspace would
# already be three times the seeded size.
# Env: BASE (0210c4d, the last tree whose store rewrote the whole Workspace per change), DATASETS (10000), PROJECTS (10000), CLIENTS (64),
#      DURATION (30), WARMUP (30), GROWING_WARMUP (10), STORE_SECONDS (10), PROFILE_CLIENTS (16), PROFILE_SECONDS (3),
#      OUT (bench/results/store-bench.txt), SERVER_ENV (extra NAME=value settings for both servers,
#      e.g. DOTNET_gcServer=1 to try a runtime setting without rebuilding)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-0210c4d}
DATASETS=${DATASETS:-10000}
PROJECTS=${PROJECTS:-10000}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-30}
GROWING_WARMUP=${GROWING_WARMUP:-10}
STORE_SECONDS=${STORE_SECONDS:-10}
PROFILE_CLIENTS=${PROFILE_CLIENTS:-16}
PROFILE_SECONDS=${PROFILE_SECONDS:-3}
OUT=${OUT:-bench/results/store-bench.txt}
SERVER_ENV=${SERVER_ENV:-}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/pxstore.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  git worktree remove --force "$WORK/previous-src" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

build() { # project, output folder
  dotnet build -c Release "$1" -o "$2" -v q -nologo -nodeReuse:false >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log" >&2; return 1; }
}

echo "building the load runner, the server (this tree) and the server at ${BASE:0:12} (previous design)" >&2
build bench/PaddleX.Cloud.Bench.Store "$WORK/bench"
build functions/PaddleX.Cloud.Server "$WORK/current"
git worktree add --detach "$WORK/previous-src" "$BASE" >/dev/null 2>&1
build "$WORK/previous-src/functions/PaddleX.Cloud.Server" "$WORK/previous"
cp -r bench/PaddleX.Cloud.Bench.Store "$WORK/previous-src/bench/"
rm -rf "$WORK/previous-src/bench/PaddleX.Cloud.Bench.Store/bin" "$WORK/previous-src/bench/PaddleX.Cloud.Bench.Store/obj"
build "$WORK/previous-src/bench/PaddleX.Cloud.Bench.Store" "$WORK/previous-bench"
BENCH="dotnet $WORK/bench/PaddleX.Cloud.Bench.Store.dll"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run() { # label, server folder, load | profile, gzip | identity, steady | growing
  local label=$1 bin=$2 mode=${3:-load} encoding=${4:-gzip} mix=${5:-steady} port workspace
  port=$(free_port)
  workspace="$WORK/workspace-$label"
  $BENCH seed "$workspace" "$DATASETS" "$PROJECTS" >/dev/null
  # The startup hook records the server's GCs, allocations, thread pool and list bodies (RuntimeStats.cs).
  export PXBENCH_STATS="$WORK/stats-$label-$mode"
  rm -f "$PXBENCH_STATS"
  # shellcheck disable=SC2086 # SERVER_ENV is a list of NAME=value words
  env $SERVER_ENV DOTNET_STARTUP_HOOKS="$WORK/bench/PaddleX.Cloud.Bench.Store.dll" \
    dotnet "$bin/PaddleX.Cloud.Server.dll" --port "$port" --workspace_dir "$workspace" --worker false >"$WORK/server-$label.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/workspace" >/dev/null && break
    sleep 0.2
  done
  if [ "$mode" = load ]; then
    local warmup=$WARMUP
    [ "$mix" = growing ] && warmup=$GROWING_WARMUP
    echo "--- $label, $mix mix, $warmup s warm-up"
    $BENCH load "http://127.0.0.1:$port" "$SERVER_PID" "$CLIENTS" "$DURATION" "$warmup" "$DATASETS" "$PROJECTS" "$encoding" "$mix"
  else
    echo "--- $label: each request kind alone, $PROFILE_CLIENTS clients x $PROFILE_SECONDS s"
    $BENCH profile "http://127.0.0.1:$port" "$SERVER_PID" "$PROFILE_CLIENTS" "$PROFILE_SECONDS" "$DATASETS" "$PROJECTS" "$encoding"
  fi
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  unset PXBENCH_STATS
  echo "files: $(find "$workspace" -maxdepth 1 -name 'workspace.*' -printf '%f %kK  ')"
}

{
  echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'); dotnet $(dotnet --version)"
  echo "workspace: $DATASETS datasets, $PROJECTS projects; $CLIENTS clients, ${WARMUP} s warm-up (growing mix ${GROWING_WARMUP} s) + ${DURATION} s measured${SERVER_ENV:+; servers run with $SERVER_ENV}"
  run current "$WORK/current" load gzip steady
  run previous "$WORK/previous" load gzip steady
  run current "$WORK/current" load gzip growing
  run previous "$WORK/previous" load gzip growing
  run current-without-gzip "$WORK/current" load identity steady
  run current "$WORK/current" profile
  run previous "$WORK/previous" profile
  for design in current previous; do
    runner=$WORK/bench
    [ "$design" = previous ] && runner=$WORK/previous-bench
    echo "--- store alone, $design"
    $BENCH seed "$WORK/store-$design" "$DATASETS" "$PROJECTS" >/dev/null
    dotnet "$runner/PaddleX.Cloud.Bench.Store.dll" store "$WORK/store-$design" "$CLIENTS" "$STORE_SECONDS"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
