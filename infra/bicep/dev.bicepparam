// `dev` environment, for `az deployment sub create` without azd (see docs/deploy.md).
// azd uses main.parameters.json instead, which maps the same values from azd environment variables.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'paddlex-dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'swedencentral')
param principalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
param principalType = 'User'

// The worker image is set by deploy.yml / `azd deploy`; empty keeps the placeholder.
param workerImage = readEnvironmentVariable('WORKER_IMAGE', '')

// Small and cheap: serverless T4 GPUs, at most 2 at a time, one job per GPU.
param gpuProfileType = 'Consumption-GPU-NC8as-T4'
param workerMaxReplicas = 2
param workerMessagesPerReplica = 1
param workerCpu = '8'
param workerMemory = '56Gi'

param serviceBusSku = 'Standard'
param jobsQueueName = 'paddlex-jobs'
param jobsLockDuration = 'PT5M'
param jobsMaxDeliveryCount = 5

param cosmosDatabaseName = 'paddlex'
param functionMaximumInstanceCount = 40
param functionInstanceMemoryMB = 2048

// The API key callers send (X-Api-Key or api_key); at least 16 characters, e.g. `openssl rand -hex 24`.
param apiKey = readEnvironmentVariable('PADDLEX_API_KEY', '')
// Web origins allowed to call the API from a browser, comma-separated; empty = none.
param allowedOrigins = readEnvironmentVariable('PADDLEX_ALLOWED_ORIGINS', '')
