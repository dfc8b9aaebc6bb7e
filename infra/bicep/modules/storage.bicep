// Storage account: training data / artifacts container, the Functions deployment container,
// the Functions host's own storage (identity-based AzureWebJobsStorage) and the queue used
// when Jobs__Transport = StorageQueue. Shared keys are disabled: data-plane RBAC only.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Blob container for datasets, checkpoints and exported models.')
param dataContainerName string

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Queue names to create (StorageQueue transport).')
param queueNames string[]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  // Every account has the 'default' blob service; its properties (soft delete, CORS) are written
  // only by blobcors.bicep, after the Function app exists (its origin is allowed), so no second
  // PUT here resets them.
  resource blobService 'blobServices' existing = {
    name: 'default'

    resource dataContainer 'containers' = {
      name: dataContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output dataContainerName string = storage::blobService::dataContainer.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${storage::blobService::deploymentContainer.name}'
