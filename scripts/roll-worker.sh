#!/usr/bin/env bash
# Point the worker container app at a new image; Container Apps rolls a new revision.
# Running jobs keep their replica until it stops (the worker drains on SIGTERM); new replicas
# start from the new image as the queue scaler asks for them.
#
#   AZURE_RESOURCE_GROUP=rg-paddlex-dev SERVICE_WORKER_NAME=ca-worker-xxxx WORKER_IMAGE=crxxxx.azurecr.io/paddlex/worker:abc123 ./scripts/roll-worker.sh
set -euo pipefail

resource_group="${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP}"
app_name="${SERVICE_WORKER_NAME:?set SERVICE_WORKER_NAME}"
image="${WORKER_IMAGE:?set WORKER_IMAGE}"
revision_suffix="${REVISION_SUFFIX:-$(date -u +r%Y%m%d%H%M%S)}"

az containerapp update \
    --resource-group "${resource_group}" \
    --name "${app_name}" \
    --image "${image}" \
    --revision-suffix "${revision_suffix}" \
    --only-show-errors \
    --output none

az containerapp revision list \
    --resource-group "${resource_group}" \
    --name "${app_name}" \
    --query "[?properties.active].{revision:name, image:properties.template.containers[0].image, replicas:properties.replicas}" \
    --output table
