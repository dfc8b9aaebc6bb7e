#!/usr/bin/env bash
# Gives the deployment principal (the GitHub OIDC app of deploy.yml) what infra/bicep needs, and no
# more: Contributor on the subscription (resource group and resources), plus Role Based Access
# Control Administrator CONSTRAINED by an Azure ABAC condition to create or delete assignments of
# exactly the built-in roles main.bicep assigns. Without the condition the principal could grant
# itself Owner. A test keeps the list below equal to the roles the template assigns.
#
#   DEPLOY_PRINCIPAL_ID=<appId or object id> AZURE_SUBSCRIPTION_ID=<sub> ./scripts/grant-deploy-principal.sh
set -euo pipefail

principal="${DEPLOY_PRINCIPAL_ID:?set DEPLOY_PRINCIPAL_ID}"
subscription="${AZURE_SUBSCRIPTION_ID:?set AZURE_SUBSCRIPTION_ID}"
scope="/subscriptions/${subscription}"

# The `roles` variable of infra/bicep/main.bicep (built-in role definition ids).
template_roles=(
    b7e6dc6d-f1e8-4753-8033-0f276bb0955b # Storage Blob Data Owner
    ba92f5b4-2d11-453d-a403-e96b0029c9fe # Storage Blob Data Contributor
    974c5e8b-45b9-4653-ba55-5f855dd0fb88 # Storage Queue Data Contributor
    0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3 # Storage Table Data Contributor
    69a216fc-b8fb-44d8-bc22-1f3c2cd27a39 # Azure Service Bus Data Sender
    4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0 # Azure Service Bus Data Receiver
    090c5cfd-751d-490a-894a-3ce6f1109419 # Azure Service Bus Data Owner
    7f951dda-4ed3-4680-a7ca-43fe172d538d # AcrPull
    3913510d-42f4-4e42-8a64-420c390055eb # Monitoring Metrics Publisher
)

ids="$(IFS=','; echo "${template_roles[*]}")"
ids="${ids//,/, }"
condition="((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${ids}})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${ids}}))"

if [[ "${PRINT_CONDITION_ONLY:-}" == "1" ]]; then
    echo "${condition}"
    exit 0
fi

az role assignment create --assignee "${principal}" --role Contributor --scope "${scope}" --only-show-errors --output none
az role assignment create --assignee "${principal}" --role "Role Based Access Control Administrator" --scope "${scope}" \
    --condition "${condition}" --condition-version "2.0" --only-show-errors --output none
echo "grant-deploy-principal: Contributor and constrained RBAC administrator granted to ${principal} on ${scope}"
