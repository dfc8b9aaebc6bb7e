using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using PaddleX.Cloud.Azure;
using PaddleX.Cloud.Azure.Cosmos;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The emulators that tests/emulators/start.sh started, found through its environment
/// variables. Emulator-backed tests FAIL (never skip) when they are absent.</summary>
internal static class Emulators
{
    private static readonly Lazy<AzureBackends> LazyBackends = new(Load);
    private static readonly Lazy<Task<Container>> LazyContainer = new(async () =>
    {
        var backends = Backends;
        var client = backends.CreateCosmosClient();
        return await CosmosMetadataStore.EnsureContainerAsync(client, backends.Cosmos.Database, backends.Cosmos.Container);
    });

    public static AzureBackends Backends => LazyBackends.Value;

    public static Task<Container> CosmosContainerAsync() => LazyContainer.Value;

    /// <summary>A fresh workspace id (partition / blob prefix) so tests never see each other's data.</summary>
    public static string NewWorkspaceId() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A fresh Storage queue name (3–63 lowercase letters, digits and dashes).</summary>
    public static string NewQueueName() => "jobs-" + Guid.NewGuid().ToString("N")[..16];

    private static AzureBackends Load()
    {
        string[] required = ["PADDLEX_EMULATORS", "Cosmos__ConnectionString", "Storage__ConnectionString"];
        var missing = required.Where(name => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "Emulator-backed test without emulators: environment variable(s) " + string.Join(", ", missing) + " not set. "
                + "Start them first with: eval \"$(tests/emulators/start.sh)\" (and tests/emulators/stop.sh afterwards), "
                + "or run the repository's ./test.sh which does both.");
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var backends = AzureBackends.FromConfiguration(configuration);
        backends.Cosmos.EnsureCreated = true;
        backends.Cosmos.LimitToEndpoint = true;
        backends.Storage.EnsureCreated = true;
        return backends;
    }
}
