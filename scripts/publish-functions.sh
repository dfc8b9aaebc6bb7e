#!/usr/bin/env bash
# Publish the Functions API and push it to the Flex Consumption app (one deploy, Entra ID auth).
#
#   AZURE_RESOURCE_GROUP=rg-paddlex-dev AZURE_FUNCTION_APP_NAME=func-api-xxxx ./scripts/publish-functions.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="${repo_root}/functions/PaddleX.Cloud.Functions/PaddleX.Cloud.Functions.csproj"
resource_group="${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP}"
app_name="${AZURE_FUNCTION_APP_NAME:?set AZURE_FUNCTION_APP_NAME}"
configuration="${CONFIGURATION:-Release}"

work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT

dotnet publish "${project}" -c "${configuration}" -o "${work_dir}/publish"

# Flex Consumption wants the publish folder zipped with host.json at the root.
(cd "${work_dir}/publish" && zip -q -r "${work_dir}/api.zip" .)

az functionapp deployment source config-zip \
    --resource-group "${resource_group}" \
    --name "${app_name}" \
    --src "${work_dir}/api.zip" \
    --only-show-errors

echo "publish-functions: deployed ${app_name}"
