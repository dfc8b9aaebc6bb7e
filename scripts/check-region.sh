#!/usr/bin/env bash
# Refuses a region that cannot run PaddleX.Cloud before anything is provisioned there:
# the GPU workload profile (serverless T4 by default) and Flex Consumption must both be offered.
#
#   AZURE_LOCATION=swedencentral [PADDLEX_GPU_PROFILE=Consumption-GPU-NC8as-T4] ./scripts/check-region.sh
#
# Runs as the azd preprovision hook and from scripts/deploy-infra.sh. Exit 1: the region lacks a
# required offer (the message lists the regions that have the GPU profile when az can tell).
# Exit 0 with a warning when az cannot answer (not logged in, extension missing): ARM then
# reports the problem itself, later. GPU QUOTA is not checked here (see docs/deploy.md).
# azd hooks may start scripts with sh: re-run under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

location="${AZURE_LOCATION:?set AZURE_LOCATION}"
profile="${PADDLEX_GPU_PROFILE:-Consumption-GPU-NC8as-T4}"
normalize() { tr '[:upper:]' '[:lower:]' | tr -d ' '; }
location="$(printf '%s' "${location}" | normalize)"

warn() { echo "check-region: WARNING: $*" >&2; }
fail() { echo "check-region: $*" >&2; exit 1; }

if ! command -v az > /dev/null 2>&1; then
    warn "az is not installed; region ${location} not checked"
    exit 0
fi

if ! supported="$(az containerapp env workload-profile list-supported --location "${location}" \
        --query "[].name" --output tsv 2> /dev/null)"; then
    warn "cannot list the Container Apps workload profiles of ${location} (az login? az extension add -n containerapp)"
    exit 0
fi
if ! grep -qxF "${profile}" <<< "${supported}"; then
    fail "region ${location} does not offer the workload profile ${profile}. Pick a region that does (for example swedencentral, westus3 or australiaeast for serverless T4 GPUs; check with: az containerapp env workload-profile list-supported -l <region> -o table), or set PADDLEX_GPU_PROFILE."
fi

if flex="$(az functionapp list-flexconsumption-locations --query "[].name" --output tsv 2> /dev/null)"; then
    if ! normalize <<< "${flex}" | grep -qxF "${location}"; then
        fail "region ${location} does not offer Azure Functions Flex Consumption (az functionapp list-flexconsumption-locations -o table)."
    fi
else
    warn "cannot list the Flex Consumption regions; ${location} not checked for Functions"
fi

echo "check-region: ${location} offers ${profile} and Flex Consumption. GPU quota is separate: see docs/deploy.md."
