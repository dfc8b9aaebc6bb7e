// Blob service properties of the storage account: soft delete and the CORS rule that lets the
// console upload datasets straight to Blob (PUT with x-ms-blob-type on a SAS URL the API hands out).
// A module of its own, deployed after the Function app: the console is served from that app's
// origin, which is only known once the site exists, and the site itself needs the storage account.

@description('Storage account name.')
param storageAccountName string

@description('Browser origins allowed to read and write blobs directly (the console/API origins).')
param allowedOrigins string[]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    cors: {
      corsRules: [
        {
          allowedOrigins: allowedOrigins
          // PUT: single-shot and block uploads; GET/HEAD: downloads of exported models and previews.
          allowedMethods: [
            'GET'
            'HEAD'
            'PUT'
            'OPTIONS'
          ]
          allowedHeaders: [
            'content-type'
            'x-ms-blob-type'
            'x-ms-blob-content-type'
            'x-ms-version'
            'x-ms-date'
            'x-ms-client-request-id'
          ]
          exposedHeaders: [
            'etag'
            'x-ms-request-id'
            'x-ms-version'
          ]
          maxAgeInSeconds: 3600
        }
      ]
    }
  }
}
