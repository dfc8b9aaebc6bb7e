// The HTTP API: an Azure Functions app (.NET isolated 10.0) on the Flex Consumption plan.
// It runs as its system-assigned identity; every dependency is reached without keys.

@description('Azure region.')
param location string

@description('Tags applied to every resource (azd-service-name is added here).')
param tags object

@description('azd service name in azure.yaml.')
param serviceName string = 'api'

@description('App Service plan name.')
param planName string

@description('Function app name.')
param name string

@description('Blob container URL that receives the deployment package.')
param deploymentContainerUrl string

@description('Host storage account name (identity-based AzureWebJobsStorage).')
param storageAccountName string

@description('Maximum instances the plan may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Application Insights connection string (local auth disabled).')
param applicationInsightsConnectionString string

@description('Settings the PaddleX.Cloud code reads (environment variables with __).')
param appSettings object

@secure()
@description('API key the dispatcher requires of every caller (the functions themselves are anonymous: PaddleX clients know no function keys).')
param apiKey string

@description('Browser origins allowed to call the API cross-origin; empty = none. The platform CORS stays unset so preflights reach the functions.')
param allowedOrigins array = []

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  // Entra ID ingestion with the system-assigned identity (App Insights has local auth disabled).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
}

// The API's own caller check and CORS list (Api:ApiKey, Api:AllowedOrigins:N).
var apiSettings = union(
  { Api__ApiKey: apiKey },
  toObject(range(0, length(allowedOrigins)), i => 'Api__AllowedOrigins__${i}', i => allowedOrigins[i])
)

var allSettings = union(hostSettings, appSettings, apiSettings)

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// The whole app-settings set, written as one resource (it replaces any settings made by hand).
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: allSettings
}

// No publishing credentials: deployments go through Entra ID (azd / az functionapp deploy).
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
output uri string = 'https://${site.properties.defaultHostName}'
