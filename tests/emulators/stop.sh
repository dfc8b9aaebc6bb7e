#!/usr/bin/env bash
# Stops the emulators that start.sh started (by the pids in its state file) and removes their data.
set -euo pipefail

state_dir="${PADDLEX_EMULATORS_STATE:-${TMPDIR:-/tmp}/paddlex-emulators-$(id -u)}"
state_file="$state_dir/state.env"

if [[ ! -f "$state_file" ]]; then
    echo "stop.sh: nothing to stop ($state_file not found)" >&2
    exit 0
fi

# shellcheck source=/dev/null
source "$state_file"

for pid in "${AZURITE_PID:-}" "${COSMOS_PID:-}"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
    fi
done

# Wait up to 10 s for them to exit (Azurite frees its ports at once but may take a few seconds).
for _ in $(seq 1 50); do
    alive=0
    for pid in "${AZURITE_PID:-}" "${COSMOS_PID:-}"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    ((alive == 0)) && break
    sleep 0.2
done

for pid in "${AZURITE_PID:-}" "${COSMOS_PID:-}"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
    fi
done

if [[ -n "${DATA_DIR:-}" && -d "$DATA_DIR" && "$DATA_DIR" == */paddlex-emulators-data.* ]]; then
    rm -rf "$DATA_DIR"
fi
rm -f "$state_file" "$state_dir/exports.sh"
echo "stop.sh: stopped" >&2
