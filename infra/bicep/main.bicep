// PaddleX.Cloud: everything one environment needs, in its own resource group.
// Subscription scope so `azd provision` / `az deployment sub create` also creates the group.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Environment name (azd AZURE_ENV_NAME); part of every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for all resources. It must offer Flex Consumption and Container Apps serverless GPUs.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; empty = rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of a developer or CI principal to grant data access to (optional; azd passes AZURE_PRINCIPAL_ID).')
param principalId string = ''

@description('Kind of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Worker image reference; empty = keep the image the worker runs now, or the placeholder before the first deploy (azd passes SERVICE_WORKER_IMAGE_NAME).')
param workerImage string = ''

@description('Whether the worker container app exists already (azd passes SERVICE_WORKER_RESOURCE_EXISTS). With an empty workerImage its current image is kept.')
param workerExists bool = false

@description('E-mail addresses alerted when a job lands in the dead-letter queue (optional; the alert rule exists either way).')
param alertEmails string[] = []

@description('GPU workload profile type of the Container Apps environment.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
  'NC24-A100'
  'NC48-A100'
  'NC96-A100'
])
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Most worker replicas (GPUs) at once. Serverless GPU quota per subscription and region applies.')
@minValue(1)
@maxValue(300)
param workerMaxReplicas int = 4

@description('Queued jobs per worker replica for the KEDA rule (1 = one job per GPU).')
@minValue(1)
@maxValue(100)
param workerMessagesPerReplica int = 1

@description('vCPU per worker replica.')
param workerCpu string = '8'

@description('Memory per worker replica.')
param workerMemory string = '56Gi'

@description('Service Bus tier. Basic is not offered: the jobs queue needs duplicate detection, which Basic lacks.')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Queue the API enqueues training jobs on.')
param jobsQueueName string = 'paddlex-jobs'

@description('Peek-lock duration of the jobs queue (ISO 8601, at most PT5M).')
param jobsLockDuration string = 'PT5M'

@description('Faulted deliveries of one job before the worker dead-letters it with the reason. A job handed back on shutdown (scale-in, new revision) does not count.')
@minValue(1)
@maxValue(100)
param jobsMaxDeliveryCount int = 5

@description('Deliveries of one message before the broker itself dead-letters it: a safety cap far above jobsMaxDeliveryCount, because every hand-back on shutdown is a delivery too.')
@minValue(10)
@maxValue(2000)
param jobsBrokerMaxDeliveryCount int = 100

@description('Cosmos DB database name.')
param cosmosDatabaseName string = 'paddlex'

@description('Cosmos DB container name (partition key /pk).')
param cosmosContainerName string = 'items'

@description('Blob container for datasets, checkpoints and exported models.')
param dataContainerName string = 'paddlex'

@description('Most instances of the Functions app.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Memory per Functions instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

// No length rule here: dev.bicepparam reads it from the environment, and the API itself refuses to
// start without one (fail closed), so an unset key never means an open API.
@secure()
@description('API key every request to the API must carry (header X-Api-Key or argument api_key); azd: PADDLEX_API_KEY. See docs/auth.md.')
param apiKey string

@description('Browser origins allowed to call the API cross-origin, comma-separated (e.g. https://paddlex.example.com); empty = none. azd: PADDLEX_ALLOWED_ORIGINS.')
param allowedOrigins string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'paddlex-cloud'
}

var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var workerAppName = '${abbrs.appContainerApps}worker-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

// Built-in role definition ids (see modules/rbac.bicep).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    dataContainerName: dataContainerName
    deploymentContainerName: deploymentContainerName
    queueNames: [
      jobsQueueName
    ]
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    tags: tags
    accountName: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    databaseName: cosmosDatabaseName
    containerName: cosmosContainerName
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    location: location
    tags: tags
    namespaceName: '${abbrs.serviceBusNamespaces}${resourceToken}'
    sku: serviceBusSku
    queueName: jobsQueueName
    lockDuration: jobsLockDuration
    maxDeliveryCount: jobsBrokerMaxDeliveryCount
    actionGroupEmails: alertEmails
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbrs.containerRegistryRegistries}${resourceToken}'
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  scope: rg
  params: {
    location: location
    tags: tags
    workerIdentityName: '${abbrs.managedIdentityUserAssignedIdentities}worker-${resourceToken}'
    scalerIdentityName: '${abbrs.managedIdentityUserAssignedIdentities}scaler-${resourceToken}'
  }
}

// What the application code reads (see docs/deploy.md). No keys or connection strings:
// without them the apps authenticate with DefaultAzureCredential (managed identity).
var appSettings = {
  Backend: 'azure'
  Cosmos__Endpoint: cosmos.outputs.endpoint
  Cosmos__Database: cosmos.outputs.databaseName
  Cosmos__Container: cosmos.outputs.containerName
  Storage__BlobEndpoint: storage.outputs.blobEndpoint
  Storage__QueueEndpoint: storage.outputs.queueEndpoint
  Storage__Container: storage.outputs.dataContainerName
  Jobs__Transport: 'ServiceBus'
  Jobs__Namespace: serviceBus.outputs.fullyQualifiedNamespace
  Jobs__Queue: serviceBus.outputs.queueName
  Jobs__MaxDeliveryCount: string(jobsMaxDeliveryCount)
  Worker__MaxDeliveryCount: string(jobsMaxDeliveryCount)
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
}

module api 'modules/functionapp.bicep' = {
  name: 'api'
  scope: rg
  params: {
    location: location
    tags: tags
    serviceName: 'api'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    name: functionAppName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    storageAccountName: storage.outputs.name
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    appSettings: appSettings
    apiKey: apiKey
    allowedOrigins: filter(map(split(allowedOrigins, ','), origin => trim(origin)), origin => !empty(origin))
  }
}

var rbacTargets = {
  storageAccountName: storage.outputs.name
  serviceBusNamespaceName: serviceBus.outputs.name
  jobsQueueName: serviceBus.outputs.queueName
  registryName: registry.outputs.name
  applicationInsightsName: monitoring.outputs.applicationInsightsName
}

// Blob CORS for direct browser uploads: the listed origins plus the Function app's own (the console).
module blobCors 'modules/blobcors.bicep' = {
  name: 'blob-cors'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    allowedOrigins: union([api.outputs.uri], filter(map(split(allowedOrigins, ','), origin => trim(origin)), origin => !empty(origin)))
  }
}

module apiRoles 'modules/rbac.bicep' = {
  name: 'rbac-api'
  scope: rg
  params: {
    principalId: api.outputs.principalId
    principalType: 'ServicePrincipal'
    storageAccountName: rbacTargets.storageAccountName
    // Blob Data Owner: the Functions host keeps leases and the deployment package in blobs.
    storageRoleIds: [
      roles.storageBlobDataOwner
      roles.storageQueueDataContributor
      roles.storageTableDataContributor
    ]
    serviceBusNamespaceName: rbacTargets.serviceBusNamespaceName
    // Receiver: the timer function peeks the dead-letter queue (ReconcileDeadLetters) while no worker runs.
    serviceBusRoleIds: [
      roles.serviceBusDataSender
      roles.serviceBusDataReceiver
    ]
    jobsQueueName: rbacTargets.jobsQueueName
    registryName: rbacTargets.registryName
    applicationInsightsName: rbacTargets.applicationInsightsName
    applicationInsightsRoleIds: [
      roles.monitoringMetricsPublisher
    ]
  }
}

module workerRoles 'modules/rbac.bicep' = {
  name: 'rbac-worker'
  scope: rg
  params: {
    principalId: identities.outputs.workerPrincipalId
    principalType: 'ServicePrincipal'
    storageAccountName: rbacTargets.storageAccountName
    storageRoleIds: [
      roles.storageBlobDataContributor
      roles.storageQueueDataContributor
    ]
    serviceBusNamespaceName: rbacTargets.serviceBusNamespaceName
    serviceBusRoleIds: [
      roles.serviceBusDataReceiver
      roles.serviceBusDataSender
    ]
    jobsQueueName: rbacTargets.jobsQueueName
    registryName: rbacTargets.registryName
    registryRoleIds: [
      roles.acrPull
    ]
    applicationInsightsName: rbacTargets.applicationInsightsName
    applicationInsightsRoleIds: [
      roles.monitoringMetricsPublisher
    ]
  }
}

// KEDA reads the queue's runtime properties through the management API, which needs the
// Manage claim: Data Owner, limited to the one queue and given to an identity the code never uses.
module scalerRoles 'modules/rbac.bicep' = {
  name: 'rbac-scaler'
  scope: rg
  params: {
    principalId: identities.outputs.scalerPrincipalId
    principalType: 'ServicePrincipal'
    storageAccountName: rbacTargets.storageAccountName
    serviceBusNamespaceName: rbacTargets.serviceBusNamespaceName
    jobsQueueName: rbacTargets.jobsQueueName
    jobsQueueRoleIds: [
      roles.serviceBusDataOwner
    ]
    registryName: rbacTargets.registryName
    applicationInsightsName: rbacTargets.applicationInsightsName
  }
}

// Lets the person (or pipeline) running the deployment use the same resources from a dev box.
module developerRoles 'modules/rbac.bicep' = if (!empty(principalId)) {
  name: 'rbac-developer'
  scope: rg
  params: {
    principalId: principalId
    principalType: principalType
    storageAccountName: rbacTargets.storageAccountName
    storageRoleIds: [
      roles.storageBlobDataContributor
      roles.storageQueueDataContributor
    ]
    serviceBusNamespaceName: rbacTargets.serviceBusNamespaceName
    serviceBusRoleIds: [
      roles.serviceBusDataSender
      roles.serviceBusDataReceiver
    ]
    jobsQueueName: rbacTargets.jobsQueueName
    registryName: rbacTargets.registryName
    applicationInsightsName: rbacTargets.applicationInsightsName
  }
}

// Cosmos DB data-plane roles for the API, the worker and the developer, created one after another
// (parallel sqlRoleAssignments writes on one account conflict).
module cosmosRoles 'modules/cosmosroles.bicep' = {
  name: 'rbac-cosmos'
  scope: rg
  params: {
    cosmosAccountName: cosmos.outputs.name
    principalIds: [
      api.outputs.principalId
      identities.outputs.workerPrincipalId
      principalId
    ]
  }
}

module workerCurrentImage 'modules/workerimage.bicep' = {
  name: 'worker-current-image'
  scope: rg
  params: {
    workerAppName: workerAppName
    exists: workerExists && empty(workerImage)
  }
}

module containerApps 'modules/containerapps.bicep' = {
  name: 'container-apps'
  scope: rg
  params: {
    location: location
    tags: tags
    serviceName: 'worker'
    environmentName: '${abbrs.appManagedEnvironments}${resourceToken}'
    workerAppName: workerAppName
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
    gpuProfileType: gpuProfileType
    workerImage: !empty(workerImage) ? workerImage : workerCurrentImage.outputs.image
    workerCpu: workerCpu
    workerMemory: workerMemory
    maxReplicas: workerMaxReplicas
    messagesPerReplica: workerMessagesPerReplica
    registryLoginServer: registry.outputs.loginServer
    workerIdentityId: identities.outputs.workerIdentityId
    workerClientId: identities.outputs.workerClientId
    scalerIdentityId: identities.outputs.scalerIdentityId
    serviceBusNamespaceName: serviceBus.outputs.name
    queueName: serviceBus.outputs.queueName
    appSettings: union(appSettings, {
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identities.outputs.workerClientId}'
    })
  }
  // The first replica must be able to pull from ACR and read the queue.
  dependsOn: [
    workerRoles
    scalerRoles
    cosmosRoles
  ]
}

// azd reads these back into .azure/<env>/.env; CI and scripts/ use them too.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = containerApps.outputs.environmentName
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output SERVICE_WORKER_NAME string = containerApps.outputs.workerName
output API_URL string = api.outputs.uri
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmos.outputs.databaseName
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output JOBS_QUEUE string = serviceBus.outputs.queueName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.logAnalyticsId
