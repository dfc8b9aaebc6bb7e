// Service Bus namespace and the training-jobs queue. SAS keys are disabled (disableLocalAuth):
// the API sends and the worker receives with their managed identities.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Namespace name.')
param namespaceName string

@description('Namespace tier. Not Basic: it lacks the duplicate detection the jobs queue relies on. Premium adds isolation and private endpoints.')
@allowed([
  'Standard'
  'Premium'
])
param sku string = 'Standard'

@description('Queue the API enqueues training jobs on and the worker pool drains.')
param queueName string

@description('Peek-lock duration (ISO 8601, at most PT5M). The worker renews the lock while a job runs.')
param lockDuration string = 'PT5M'

@description('Deliveries before the broker itself moves a message to the dead-letter sub-queue. A safety cap: the worker dead-letters a job after its own limit of FAULTED deliveries, and hand-backs on shutdown are deliveries too.')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int = 5

@description('Time to live of a queued job (ISO 8601). Expired jobs are dead-lettered.')
param defaultMessageTimeToLive string = 'P7D'

@description('E-mail addresses for the dead-letter alert; empty = the alert only shows in Azure Monitor.')
param actionGroupEmails string[] = []

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

resource alertGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(actionGroupEmails)) {
  name: 'ag-${namespaceName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'paddlexdlq'
    enabled: true
    emailReceivers: [
      for (email, i) in actionGroupEmails: {
        name: 'email-${i}'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
  }
}

// A job in the dead-letter queue failed for good (faults, or expired waiting): the worker records
// the reason on its task, and someone should look. Fires while the sub-queue holds any message.
resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namespaceName}-${queueName}-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'Jobs were dead-lettered on ${queueName}. Read the reasons with Service Bus Explorer (dead-letter sub-queue) or on the tasks; purge after review.'
    severity: 2
    enabled: true
    scopes: [
      namespace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                queueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: empty(actionGroupEmails)
      ? []
      : [
          {
            actionGroupId: alertGroup.id
          }
        ]
  }
}

// serviceBusEndpoint is 'https://<name>.servicebus.windows.net:443/'; the SDK wants the bare host name.
var endpointHost = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]

output id string = namespace.id
output name string = namespace.name
output fullyQualifiedNamespace string = endpointHost
output queueName string = namespace::queue.name
