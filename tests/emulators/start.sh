#!/usr/bin/env bash
# Starts Azurite (Blob + Queue + Table) and the Cosmos DB test server (@vercel/cosmosdb-server) on
# free loopback ports, waits until both answer, and prints `export KEY=VALUE` lines for the
# PaddleX.Cloud Azure adapters:
#
#   eval "$(tests/emulators/start.sh)"
#   ...
#   tests/emulators/stop.sh
#
# Diagnostics go to stderr; only the export lines go to stdout. Idempotent: when the emulators of
# the state file are still running, it prints their exports again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state_dir="${PADDLEX_EMULATORS_STATE:-${TMPDIR:-/tmp}/paddlex-emulators-$(id -u)}"
state_file="$state_dir/state.env"

log() { printf '%s\n' "start.sh: $*" >&2; }

running() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

if [[ -f "$state_file" ]]; then
    # shellcheck source=/dev/null
    source "$state_file"
    if running "${AZURITE_PID:-}" && running "${COSMOS_PID:-}"; then
        log "emulators already running (azurite pid $AZURITE_PID, cosmos pid $COSMOS_PID)"
        cat "$state_dir/exports.sh"
        exit 0
    fi
    log "stale state file; stopping leftovers"
    "$here/stop.sh" >&2 || true
fi

if ! command -v node >/dev/null 2>&1; then
    log "node is required (https://nodejs.org)"
    exit 1
fi

if [[ ! -x "$here/node_modules/.bin/azurite" || ! -x "$here/node_modules/.bin/cosmosdb-server" ]]; then
    log "installing emulators (npm ci)"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

wait_port() { # host port seconds
    local deadline=$((SECONDS + $3))
    while ((SECONDS < deadline)); do
        if node -e 'const c=require("net").connect(+process.argv[2],process.argv[1],()=>{c.end();process.exit(0)});c.on("error",()=>process.exit(1));' "$1" "$2" 2>/dev/null; then
            return 0
        fi
        sleep 0.3
    done
    return 1
}

mkdir -p "$state_dir"
data_dir="$(mktemp -d "${TMPDIR:-/tmp}/paddlex-emulators-data.XXXXXX")"

blob_port="$(free_port)"
queue_port="$(free_port)"
while [[ "$queue_port" == "$blob_port" ]]; do queue_port="$(free_port)"; done
table_port="$(free_port)"
while [[ "$table_port" == "$blob_port" || "$table_port" == "$queue_port" ]]; do table_port="$(free_port)"; done
cosmos_port="$(free_port)"
while [[ "$cosmos_port" == "$blob_port" || "$cosmos_port" == "$queue_port" || "$cosmos_port" == "$table_port" ]]; do cosmos_port="$(free_port)"; done

log "starting azurite on 127.0.0.1:$blob_port (blob) $queue_port (queue) $table_port (table), data in $data_dir"
nohup "$here/node_modules/.bin/azurite" --silent --location "$data_dir/azurite" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$blob_port" --queuePort "$queue_port" --tablePort "$table_port" \
    --skipApiVersionCheck --loose >"$data_dir/azurite.log" 2>&1 &
azurite_pid=$!

log "starting cosmosdb-server on 127.0.0.1:$cosmos_port (http)"
nohup "$here/node_modules/.bin/cosmosdb-server" -p "$cosmos_port" --host 127.0.0.1 --no-ssl \
    >"$data_dir/cosmos.log" 2>&1 &
cosmos_pid=$!

cat >"$state_file" <<STATE
AZURITE_PID=$azurite_pid
COSMOS_PID=$cosmos_pid
DATA_DIR=$data_dir
STATE

for endpoint in "$blob_port" "$queue_port" "$cosmos_port"; do
    if ! wait_port 127.0.0.1 "$endpoint" 60; then
        log "an emulator did not open port $endpoint within 60 s; logs in $data_dir"
        "$here/stop.sh" >&2 || true
        exit 1
    fi
done

account=devstoreaccount1
account_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
cosmos_key='C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=='
storage="DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$account_key;BlobEndpoint=http://127.0.0.1:$blob_port/$account;QueueEndpoint=http://127.0.0.1:$queue_port/$account;TableEndpoint=http://127.0.0.1:$table_port/$account;"
cosmos="AccountEndpoint=http://127.0.0.1:$cosmos_port/;AccountKey=$cosmos_key;"

cat >"$state_dir/exports.sh" <<EXPORTS
export Cosmos__Endpoint='http://127.0.0.1:$cosmos_port/'
export Cosmos__ConnectionString='$cosmos'
export Cosmos__LimitToEndpoint='true'
export Cosmos__EnsureCreated='true'
export Storage__ConnectionString='$storage'
export Storage__EnsureCreated='true'
export Jobs__Transport='StorageQueue'
export Jobs__ConnectionString='$storage'
export PADDLEX_EMULATORS='1'
export PADDLEX_EMULATORS_STATE='$state_dir'
EXPORTS
log "ready"
cat "$state_dir/exports.sh"
