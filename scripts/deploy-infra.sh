#!/usr/bin/env bash
# Provision (or update) one environment from infra/bicep/main.bicep at subscription scope.
#
#   AZURE_ENV_NAME=paddlex-dev AZURE_LOCATION=swedencentral ./scripts/deploy-infra.sh [what-if|deploy]
#
# what-if: print the change set only. deploy (default): what-if, then create the deployment.
# Outputs are written as KEY=value lines to $DEPLOY_OUTPUTS_FILE (default .azure-outputs.env)
# and, inside GitHub Actions, to $GITHUB_OUTPUT as lower-case keys.
set -euo pipefail

mode="${1:-deploy}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
template="${repo_root}/infra/bicep/main.bicep"
env_name="${AZURE_ENV_NAME:?set AZURE_ENV_NAME}"
location="${AZURE_LOCATION:?set AZURE_LOCATION}"
deployment_name="paddlex-${env_name}"
outputs_file="${DEPLOY_OUTPUTS_FILE:-${repo_root}/.azure-outputs.env}"

params=(
    "environmentName=${env_name}"
    "location=${location}"
)
if [[ -n "${AZURE_PRINCIPAL_ID:-}" ]]; then
    params+=("principalId=${AZURE_PRINCIPAL_ID}" "principalType=${AZURE_PRINCIPAL_TYPE:-ServicePrincipal}")
fi
if [[ -n "${AZURE_RESOURCE_GROUP:-}" ]]; then
    params+=("resourceGroupName=${AZURE_RESOURCE_GROUP}")
fi
# Keep the image the worker runs now, so re-provisioning never rolls it back to the placeholder.
worker_image="${WORKER_IMAGE:-}"
if [[ -z "${worker_image}" ]]; then
    resource_group="${AZURE_RESOURCE_GROUP:-rg-${env_name}}"
    if [[ "$(az group exists --name "${resource_group}")" == "true" ]]; then
        worker_image="$(az containerapp list \
            --resource-group "${resource_group}" \
            --query "[?tags.\"azd-service-name\"=='worker'] | [0].properties.template.containers[0].image" \
            --output tsv 2>/dev/null || true)"
    fi
fi
if [[ -n "${worker_image}" && "${worker_image}" != mcr.microsoft.com/* ]]; then
    params+=("workerImage=${worker_image}")
fi
if [[ -n "${WORKER_MAX_REPLICAS:-}" ]]; then
    params+=("workerMaxReplicas=${WORKER_MAX_REPLICAS}")
fi
# The API's caller check (docs/auth.md): every deployment has its own key.
if [[ -z "${PADDLEX_API_KEY:-}" ]]; then
    echo "deploy-infra: set PADDLEX_API_KEY (at least 16 characters, e.g. openssl rand -hex 24); clients send it as X-Api-Key" >&2
    exit 2
fi
params+=("apiKey=${PADDLEX_API_KEY}")
if [[ -n "${PADDLEX_ALLOWED_ORIGINS:-}" ]]; then
    params+=("allowedOrigins=${PADDLEX_ALLOWED_ORIGINS}")
fi

# A region without the GPU profile or Flex Consumption fails here, not half-way through the deployment.
"${repo_root}/scripts/check-region.sh"

echo "::group::what-if ${deployment_name} (${location})"
az deployment sub what-if \
    --name "${deployment_name}" \
    --location "${location}" \
    --template-file "${template}" \
    --parameters "${params[@]}"
echo "::endgroup::"

if [[ "${mode}" == "what-if" ]]; then
    exit 0
fi
if [[ "${mode}" != "deploy" ]]; then
    echo "deploy-infra: unknown mode '${mode}' (what-if|deploy)" >&2
    exit 2
fi

az deployment sub create \
    --name "${deployment_name}" \
    --location "${location}" \
    --template-file "${template}" \
    --parameters "${params[@]}" \
    --only-show-errors \
    --output none

# Every Bicep output, as KEY=value.
az deployment sub show \
    --name "${deployment_name}" \
    --query 'properties.outputs' \
    --output json \
    | jq -r 'to_entries[] | "\(.key)=\(.value.value)"' > "${outputs_file}"

echo "deploy-infra: outputs written to ${outputs_file}"
cat "${outputs_file}"

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    while IFS='=' read -r key value; do
        printf '%s=%s\n' "${key,,}" "${value}" >> "${GITHUB_OUTPUT}"
    done < "${outputs_file}"
fi
