// Cosmos DB data-plane role assignments (built-in data contributor) for every principal that needs
// them, ONE AT A TIME. Cosmos DB takes an account-wide lock for each sqlRoleAssignments write, so
// assignments created in parallel on one account fail with 412 (precondition failed / conflict).
// Keeping them all in this one serial loop is what prevents that; rbac.bicep grants Azure RBAC only.

@description('Cosmos DB account.')
param cosmosAccountName string

@description('Object ids of the principals that receive the data contributor role; empty entries are skipped.')
param principalIds string[]

// Cosmos DB built-in data contributor (a data-plane role definition of the account itself).
var cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002'

var principals = filter(principalIds, id => !empty(id))

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

@batchSize(1)
resource dataContributors 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for principalId in principals: {
    parent: cosmos
    name: guid(cosmos.id, principalId, cosmosDataContributorRoleId)
    properties: {
      principalId: principalId
      roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributorRoleId}'
      scope: cosmos.id
    }
  }
]
