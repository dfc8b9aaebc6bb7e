// User-assigned identities for the worker pool. They exist before the container app, so the
// AcrPull and data-plane role assignments are in place when the first replica starts.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Identity the worker code runs as (AZURE_CLIENT_ID in the container).')
param workerIdentityName string

@description('Identity the KEDA scaler uses to read the queue length; it gets no data access.')
param scalerIdentityName string

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: workerIdentityName
  location: location
  tags: tags
}

resource scalerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: scalerIdentityName
  location: location
  tags: tags
}

output workerIdentityId string = workerIdentity.id
output workerPrincipalId string = workerIdentity.properties.principalId
output workerClientId string = workerIdentity.properties.clientId
output scalerIdentityId string = scalerIdentity.id
output scalerPrincipalId string = scalerIdentity.properties.principalId
