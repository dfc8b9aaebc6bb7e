#!/usr/bin/env bash
# First request against a deployed PaddleX.Cloud API.
#
#   API_URL=https://func-api-xxxx.azurewebsites.net PADDLEX_API_KEY=... ./scripts/smoke-test.sh
#
# API_URL (or SERVICE_API_URI, which azd exports) is the Functions app URL; PADDLEX_API_KEY is the
# deployment's API key, sent as header X-Api-Key (docs/auth.md). The PaddleX RESTful
# protocol answers application errors with HTTP 200 and "status": -1, so the check is: HTTP 200
# and a JSON body with a "status" field. Retries while the Flex Consumption app cold-starts.
# azd hooks may start scripts with sh: re-run under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

api_url="${API_URL:-${SERVICE_API_URI:-}}"
path="${SMOKE_PATH:-/workspace}"
attempts="${SMOKE_ATTEMPTS:-10}"
delay="${SMOKE_DELAY_SECONDS:-15}"

if [[ -z "${api_url}" ]]; then
    echo "smoke-test: set API_URL (or SERVICE_API_URI) to the API base URL" >&2
    exit 2
fi
if [[ -z "${PADDLEX_API_KEY:-}" ]]; then
    echo "smoke-test: set PADDLEX_API_KEY to the deployment's API key" >&2
    exit 2
fi

url="${api_url%/}${path}"
body_file="$(mktemp)"
trap 'rm -f "${body_file}"' EXIT

for ((i = 1; i <= attempts; i++)); do
    code="$(curl --silent --show-error --max-time 30 --header "X-Api-Key: ${PADDLEX_API_KEY}" \
        --output "${body_file}" --write-out '%{http_code}' "${url}" || true)"
    if [[ "${code}" == "200" ]] && grep -q '"status"' "${body_file}"; then
        echo "smoke-test: GET ${url} -> ${code}"
        cat "${body_file}"
        echo
        exit 0
    fi
    echo "smoke-test: attempt ${i}/${attempts}: GET ${url} -> ${code:-no answer}; retrying in ${delay}s" >&2
    sleep "${delay}"
done

echo "smoke-test: ${url} did not answer 200 with a PaddleX status body" >&2
exit 1
