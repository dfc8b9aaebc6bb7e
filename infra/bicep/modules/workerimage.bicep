// The image the worker container app runs now, so that provisioning without an image name (a fresh
// azd environment, `azd provision` on another machine, CI) keeps it instead of rolling the worker
// back to the placeholder. Its own module: it must be read BEFORE containerapps.bicep writes the app.

@description('Worker container app name.')
param workerAppName string

@description('Whether the app exists (azd: SERVICE_WORKER_RESOURCE_EXISTS). False on the first provision.')
param exists bool

resource current 'Microsoft.App/containerApps@2025-01-01' existing = if (exists) {
  name: workerAppName
}

output image string = exists ? current!.properties.template.containers[0].image : ''
