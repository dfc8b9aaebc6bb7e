// Service Bus namespace and the training-jobs queue. SAS keys are disabled (disableLocalAuth):
// the API sends and the worker receives with their managed identities.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Namespace name.')
param namespaceName string

@description('Namespace tier. Basic has queues only (enough here); Premium adds isolation and private endpoints.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param sku string = 'Standard'

@description('Queue the API enqueues training jobs on and the worker pool drains.')
param queueName string

@description('Peek-lock duration (ISO 8601, at most PT5M). The worker renews the lock while a job runs.')
param lockDuration string = 'PT5M'

@description('Deliveries before a message is moved to the dead-letter sub-queue.')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int = 5

@description('Time to live of a queued job (ISO 8601). Expired jobs are dead-lettered.')
param defaultMessageTimeToLive string = 'P7D'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }

  resource queue 'queues' = {
    name: queueName
    properties: {
      lockDuration: lockDuration
      maxDeliveryCount: maxDeliveryCount
      deadLetteringOnMessageExpiration: true
      defaultMessageTimeToLive: defaultMessageTimeToLive
      enableBatchedOperations: true
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      requiresSession: false
    }
  }
}

// serviceBusEndpoint is 'https://<name>.servicebus.windows.net:443/'; the SDK wants the bare host name.
var endpointHost = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]

output id string = namespace.id
output name string = namespace.name
output fullyQualifiedNamespace string = endpointHost
output queueName string = namespace::queue.name
