// Role assignments for ONE principal, on the resources it needs. Called once per identity
// (API, worker, KEDA scaler, optionally the developer running `azd up`).
// Names are deterministic: guid(scope, principal, role), so re-deploying is a no-op.

@description('Object id of the principal that receives the roles.')
param principalId string

@description('Kind of principal: managed identities are ServicePrincipal, a developer is User.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string = 'ServicePrincipal'

@description('Storage account that holds data, the host state and the StorageQueue transport.')
param storageAccountName string

@description('Built-in role ids to grant on the storage account.')
param storageRoleIds string[] = []

@description('Service Bus namespace.')
param serviceBusNamespaceName string

@description('Built-in role ids to grant on the whole namespace.')
param serviceBusRoleIds string[] = []

@description('Jobs queue inside the namespace.')
param jobsQueueName string

@description('Built-in role ids to grant on the jobs queue only.')
param jobsQueueRoleIds string[] = []

@description('Container registry.')
param registryName string

@description('Built-in role ids to grant on the registry.')
param registryRoleIds string[] = []

@description('Application Insights component.')
param applicationInsightsName string

@description('Built-in role ids to grant on Application Insights.')
param applicationInsightsRoleIds string[] = []

// Built-in role definition ids, for callers (Azure RBAC, control plane).
// Storage Blob Data Owner        b7e6dc6d-f1e8-4753-8033-0f276bb0955b
// Storage Blob Data Contributor  ba92f5b4-2d11-453d-a403-e96b0029c9fe
// Storage Queue Data Contributor 974c5e8b-45b9-4653-ba55-5f855dd0fb88
// Storage Table Data Contributor 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3
// Azure Service Bus Data Sender   69a216fc-b8fb-44d8-bc22-1f3c2cd27a39
// Azure Service Bus Data Receiver 4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0
// Azure Service Bus Data Owner    090c5cfd-751d-490a-894a-3ce6f1109419
// AcrPull                         7f951dda-4ed3-4680-a7ca-43fe172d538d
// Monitoring Metrics Publisher    3913510d-42f4-4e42-8a64-420c390055eb
// Cosmos DB has its own data-plane RBAC, granted serially by cosmosroles.bicep (not here).

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName

  resource jobsQueue 'queues' existing = {
    name: jobsQueueName
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, principalId, roleId)
    scope: storage
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource serviceBusRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in serviceBusRoleIds: {
    name: guid(serviceBus.id, principalId, roleId)
    scope: serviceBus
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource jobsQueueRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in jobsQueueRoleIds: {
    name: guid(serviceBus::jobsQueue.id, principalId, roleId)
    scope: serviceBus::jobsQueue
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource registryRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in registryRoleIds: {
    name: guid(registry.id, principalId, roleId)
    scope: registry
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource applicationInsightsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in applicationInsightsRoleIds: {
    name: guid(applicationInsights.id, principalId, roleId)
    scope: applicationInsights
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]
