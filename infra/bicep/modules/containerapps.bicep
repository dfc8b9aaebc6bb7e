// Container Apps environment with a GPU workload profile, and the training worker pool.
// The pool scales from zero on the Service Bus queue length (KEDA azure-servicebus rule,
// authenticated with the scaler identity: no connection string, no secret).

@description('Azure region.')
param location string

@description('Tags applied to every resource (azd-service-name is added to the worker).')
param tags object

@description('azd service name of the worker in azure.yaml.')
param serviceName string = 'worker'

@description('Container Apps environment name.')
param environmentName string

@description('Worker container app name.')
param workerAppName string

@description('Log Analytics workspace that receives the environment\'s console and system logs.')
param logAnalyticsWorkspaceId string

@description('GPU workload profile type. Serverless GPU profiles scale to zero; dedicated (NC*-A100) ones bill per node.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
  'NC24-A100'
  'NC48-A100'
  'NC96-A100'
])
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Name of the GPU workload profile inside the environment.')
param gpuProfileName string = 'gpu'

@description('Worker image; empty = public placeholder until the first `azd deploy`.')
param workerImage string = ''

@description('vCPU per worker replica (string, e.g. "8" or "0.5").')
param workerCpu string = '8'

@description('Memory per worker replica (e.g. "56Gi").')
param workerMemory string = '56Gi'

@description('Most replicas (= GPUs) the pool may run at once.')
@minValue(1)
@maxValue(300)
param maxReplicas int = 4

@description('Queued messages per replica. 1 = one job, one GPU.')
@minValue(1)
param messagesPerReplica int = 1

@description('Container registry login server.')
param registryLoginServer string

@description('Resource id of the identity the worker runs as and pulls images with.')
param workerIdentityId string

@description('Client id of the worker identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
param workerClientId string

@description('Resource id of the identity KEDA uses to read the queue length.')
param scalerIdentityId string

@description('Service Bus namespace name (the KEDA rule wants the short name).')
param serviceBusNamespaceName string

@description('Queue the pool drains.')
param queueName string

@description('Seconds a replica gets after SIGTERM (scale-in, new revision) to checkpoint and abandon its job.')
@minValue(0)
@maxValue(600)
param terminationGracePeriodSeconds int = 600

@description('Seconds the worker\'s host waits for running jobs after SIGTERM; must stay below terminationGracePeriodSeconds.')
var shutdownTimeoutSeconds = max(terminationGracePeriodSeconds - 30, 5)

@description('Port of the worker\'s health endpoint.')
param healthPort int = 8080

@description('Settings the PaddleX.Cloud code reads (environment variables with __).')
param appSettings object

var isServerlessGpu = startsWith(gpuProfileType, 'Consumption-')
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'
var usePlaceholder = empty(workerImage) || workerImage == placeholderImage

var gpuProfile = isServerlessGpu
  ? {
      name: gpuProfileName
      workloadProfileType: gpuProfileType
    }
  : {
      name: gpuProfileName
      workloadProfileType: gpuProfileType
      minimumCount: 0
      maximumCount: maxReplicas
    }

resource managedEnvironment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    // Logs flow through the diagnostic setting below (no workspace shared key in the template).
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      gpuProfile
    ]
    zoneRedundant: false
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: managedEnvironment
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

var appEnv = [
  for setting in items(appSettings): {
    name: setting.key
    value: string(setting.value)
  }
]

var env = concat(
  appEnv,
  [
    {
      name: 'AZURE_CLIENT_ID'
      value: workerClientId
    }
    {
      name: 'ASPNETCORE_HTTP_PORTS'
      value: string(healthPort)
    }
    {
      // One job per replica: a replica is one GPU, and KEDA sizes the pool one message per replica.
      name: 'Worker__Concurrency'
      value: '1'
    }
    {
      // The .NET host's stop timeout: long enough for the running job to reach a step boundary,
      // publish its checkpoint and hand the message back, and shorter than the platform's grace
      // period so the hand-back happens before SIGKILL.
      name: 'DOTNET_shutdownTimeoutSeconds'
      value: string(shutdownTimeoutSeconds)
    }
  ]
)

var probes = usePlaceholder
  ? []
  : [
      {
        type: 'Startup'
        httpGet: {
          path: '/health'
          port: healthPort
        }
        initialDelaySeconds: 5
        periodSeconds: 10
        failureThreshold: 30
      }
      {
        type: 'Liveness'
        httpGet: {
          path: '/health'
          port: healthPort
        }
        periodSeconds: 30
        failureThreshold: 3
      }
    ]

resource worker 'Microsoft.App/containerApps@2025-01-01' = {
  name: workerAppName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${workerIdentityId}': {}
      '${scalerIdentityId}': {}
    }
  }
  properties: {
    environmentId: managedEnvironment.id
    workloadProfileName: gpuProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registryLoginServer
          identity: workerIdentityId
        }
      ]
    }
    template: {
      terminationGracePeriodSeconds: terminationGracePeriodSeconds
      containers: [
        {
          name: 'worker'
          image: usePlaceholder ? placeholderImage : workerImage
          resources: {
            cpu: json(workerCpu)
            memory: workerMemory
          }
          env: env
          probes: probes
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'jobs-queue-length'
            custom: {
              type: 'azure-servicebus'
              identity: scalerIdentityId
              metadata: {
                namespace: serviceBusNamespaceName
                queueName: queueName
                messageCount: string(messagesPerReplica)
              }
            }
          }
        ]
      }
    }
  }
}

output environmentId string = managedEnvironment.id
output environmentName string = managedEnvironment.name
output environmentDefaultDomain string = managedEnvironment.properties.defaultDomain
output workerName string = worker.name
output workerId string = worker.id
