using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Azure;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>Options binding and registration (no network).</summary>
public sealed class AzureBackendsOptionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).Build();

    [Fact]
    public void Defaults()
    {
        var backends = AzureBackends.FromConfiguration(Config());
        Assert.Equal("default", backends.Tenant.Id);
        Assert.Equal("paddlex", backends.Cosmos.Database);
        Assert.Equal("workspace", backends.Cosmos.Container);
        Assert.False(backends.Cosmos.AcceptAnyServerCertificate);
        Assert.False(backends.Cosmos.EnsureCreated);
        Assert.Equal("paddlex", backends.Storage.Container);
        Assert.Equal(JobTransport.ServiceBus, backends.Jobs.Transport);
        Assert.Equal("paddlex-jobs", backends.Jobs.Queue);
        Assert.Equal(5, backends.Jobs.MaxDeliveryCount);
    }

    [Fact]
    public void Binds_every_section()
    {
        var backends = AzureBackends.FromConfiguration(Config(
            ("Tenant:Id", "acme"),
            ("Cosmos:Endpoint", "https://acct.documents.azure.com:443/"),
            ("Cosmos:Database", "db1"),
            ("Cosmos:Container", "c1"),
            ("Storage:BlobEndpoint", "https://acct.blob.core.windows.net"),
            ("Storage:Container", "art"),
            ("Jobs:Transport", "StorageQueue"),
            ("Jobs:Namespace", "https://acct.queue.core.windows.net"),
            ("Jobs:Queue", "q1"),
            ("Jobs:MaxDeliveryCount", "7"),
            ("Jobs:LeaseDuration", "00:01:00")));
        Assert.Equal("acme", backends.Tenant.Id);
        Assert.Equal("db1", backends.Cosmos.Database);
        Assert.Equal("c1", backends.Cosmos.Container);
        Assert.Equal("art", backends.Storage.Container);
        Assert.Equal(JobTransport.StorageQueue, backends.Jobs.Transport);
        Assert.Equal("q1", backends.Jobs.Queue);
        Assert.Equal(7, backends.Jobs.MaxDeliveryCount);
        Assert.Equal(TimeSpan.FromMinutes(1), backends.Jobs.LeaseDuration);

        // Without keys the clients use DefaultAzureCredential; constructing them needs no network.
        using var cosmos = backends.CreateCosmosClient();
        Assert.Equal(new Uri("https://acct.documents.azure.com:443/"), cosmos.Endpoint);
        Assert.Equal("https://acct.blob.core.windows.net/art", backends.CreateBlobContainerClient().Uri.ToString().TrimEnd('/'));
        Assert.IsType<Azure.Jobs.StorageQueueJobQueue>(backends.CreateJobQueue());
    }

    [Fact]
    public void Service_bus_transport_from_a_namespace()
    {
        var backends = AzureBackends.FromConfiguration(Config(("Jobs:Namespace", "ns1.servicebus.windows.net")));
        Assert.IsType<Azure.Jobs.ServiceBusJobQueue>(backends.CreateJobQueue());
    }

    [Fact]
    public void Missing_settings_are_named()
    {
        var backends = AzureBackends.FromConfiguration(Config());
        Assert.Contains("Cosmos:ConnectionString", Assert.Throws<InvalidOperationException>(() => backends.CreateCosmosClient()).Message, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString", Assert.Throws<InvalidOperationException>(() => backends.CreateBlobContainerClient()).Message, StringComparison.Ordinal);
        Assert.Contains("Jobs:ConnectionString", Assert.Throws<InvalidOperationException>(() => backends.CreateJobQueue()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepting_any_certificate_is_refused_for_a_remote_endpoint()
    {
        var backends = AzureBackends.FromConfiguration(Config(
            ("Cosmos:Endpoint", "https://acct.documents.azure.com:443/"),
            ("Cosmos:Key", "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="),
            ("Cosmos:AcceptAnyServerCertificate", "true")));
        Assert.Throws<InvalidOperationException>(() => backends.CreateCosmosClient());
    }

    /// <summary>(Backend, settings as key=value separated by ';', a phrase the refusal must hold; empty: accepted).</summary>
    [Theory]
    [InlineData("", "", "")]
    [InlineData("local", "Cosmos:Endpoint=", "")]
    [InlineData("", "Cosmos:Endpoint=http://127.0.0.1:9/", "--backend azure")]
    [InlineData("local", "Jobs:Namespace=ns1.servicebus.windows.net", "Jobs:Namespace")]
    [InlineData("local", "Storage:QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1", "Storage:QueueEndpoint")]
    [InlineData("azure", "", "Set Cosmos:ConnectionString or Cosmos:Endpoint")]
    [InlineData("azure", "Cosmos:Endpoint=not a url;Storage:BlobEndpoint=https://a.blob.core.windows.net;Jobs:Namespace=ns", "Cosmos:Endpoint (an absolute URL)")]
    [InlineData("azure", "Cosmos:Endpoint=https://a.documents.azure.com/;Storage:BlobEndpoint=https://a.blob.core.windows.net", "Jobs:ConnectionString or Jobs:Namespace")]
    [InlineData("azure", "Cosmos:Endpoint=https://a.documents.azure.com/;Storage:BlobEndpoint=https://a.blob.core.windows.net;Jobs:Transport=StorageQueue;Storage:QueueEndpoint=https://a.queue.core.windows.net", "")]
    [InlineData("azure", "Tenant:Id=a/b;Cosmos:Endpoint=https://a.documents.azure.com/;Storage:BlobEndpoint=https://a.blob.core.windows.net;Jobs:Namespace=ns", "Tenant:Id")]
    [InlineData("azure", "Cosmos:Endpoint=https://a.documents.azure.com/;Storage:BlobEndpoint=https://a.blob.core.windows.net;Jobs:Namespace=ns", "")]
    public void A_backend_that_does_not_fit_its_settings_is_refused_when_the_host_starts(string backend, string settings, string refusal)
    {
        var pairs = settings.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => (p.Split('=', 2)[0], p.Split('=', 2)[1])).Append(("Backend", backend)).ToArray();
        var folder = TempFolders.Create("start");
        using var services = new ServiceCollection().AddConfiguredBackends(Config(pairs), folder).BuildServiceProvider();
        var start = services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>();
        if (refusal.Length == 0)
        {
            start.Validate();
            return;
        }

        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(start.Validate);
        Assert.Contains(refusal, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddConfiguredBackends_picks_local_or_azure_or_refuses()
    {
        var folder = TempFolders.Create("di");
        try
        {
            await using (var local = new ServiceCollection().AddConfiguredBackends(Config(), folder).BuildServiceProvider())
            {
                Assert.IsType<Local.LocalMetadataStore>(local.GetRequiredService<IMetadataStore>());
                Assert.IsType<Local.LocalArtifactStore>(local.GetRequiredService<IArtifactStore>());
                Assert.IsType<Local.LocalJobQueue>(local.GetRequiredService<IJobQueue>());
            }

            var azureConfig = Config(
                ("Backend", "azure"),
                ("Cosmos:Endpoint", "https://acct.documents.azure.com:443/"),
                ("Storage:BlobEndpoint", "https://acct.blob.core.windows.net"),
                ("Jobs:Namespace", "ns1.servicebus.windows.net"));
            await using (var azure = new ServiceCollection().AddConfiguredBackends(azureConfig, folder).BuildServiceProvider())
            {
                Assert.IsType<Azure.Cosmos.CosmosMetadataStore>(azure.GetRequiredService<IMetadataStore>());
                Assert.IsType<Azure.Blobs.BlobArtifactStore>(azure.GetRequiredService<IArtifactStore>());
                Assert.IsType<Azure.Jobs.ServiceBusJobQueue>(azure.GetRequiredService<IJobQueue>());
                Assert.Same(azure.GetRequiredService<IMetadataStore>(), azure.GetRequiredService<IMetadataStore>());
            }

            Assert.Throws<ArgumentException>(() => new ServiceCollection().AddConfiguredBackends(Config(("Backend", "gcp")), folder));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}

/// <summary>The adapters as registered by AddAzureBackends over the emulators' environment.</summary>
public sealed class AzureBackendsEmulatorTests
{
    [Fact]
    public async Task AddAzureBackends_from_the_environment_works_end_to_end()
    {
        _ = Emulators.Backends; // fails clearly without the emulators
        var tenant = Emulators.NewWorkspaceId();
        var queue = Emulators.NewQueueName();
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection([new("Tenant:Id", tenant), new("Jobs:Queue", queue), new("Jobs:Transport", "StorageQueue"), new("Cosmos:EnsureCreated", "true"), new("Storage:EnsureCreated", "true"), new("Cosmos:LimitToEndpoint", "true")])
            .Build();
        await using var services = new ServiceCollection().AddAzureBackends(configuration).BuildServiceProvider();
        var metadata = services.GetRequiredService<IMetadataStore>();
        var artifacts = services.GetRequiredService<IArtifactStore>();
        var jobs = services.GetRequiredService<IJobQueue>();

        Assert.Equal(tenant, metadata.WorkspaceId);
        Assert.Equal("D0001", (await metadata.Datasets.CreateAsync(id => new Contracts.Dataset { Id = id, Name = "n" })).Id);
        await artifacts.WriteAsync("datasets/D0001/a.txt", new MemoryStream([1, 2, 3]));
        Assert.Single(await artifacts.ListAsync("datasets"));
        await jobs.EnqueueAsync(Contracts.Jobs.JobMessageFactory.Create("import", tenant, "D0001"));
        var lease = await jobs.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("D0001", lease!.Message.TargetId);
        await lease.CompleteAsync();
    }

    [Fact]
    public async Task The_test_server_over_https_needs_the_development_switch()
    {
        var emulators = Emulators.Backends;
        var bin = Path.Combine(Repository.Root, "tests", "emulators", "node_modules", ".bin", "cosmosdb-server");
        Assert.True(File.Exists(bin), $"{bin} missing: run tests/emulators/start.sh first");
        var port = Network.FreePort();
        using var server = Process.Start(new ProcessStartInfo(bin, ["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--host", "127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            await WaitForPortAsync(port);
            var key = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
            AzureBackends Https(bool acceptAny) => new()
            {
                Tenant = new TenantOptions { Id = Emulators.NewWorkspaceId() },
                Cosmos = new CosmosOptions { ConnectionString = $"AccountEndpoint=https://127.0.0.1:{port}/;AccountKey={key};", LimitToEndpoint = true, EnsureCreated = true, AcceptAnyServerCertificate = acceptAny },
                Storage = emulators.Storage,
                Jobs = emulators.Jobs,
            };

            var strict = Https(acceptAny: false).CreateMetadataStore();
            await Assert.ThrowsAnyAsync<Exception>(async () => await strict.Datasets.ListAsync());

            var relaxed = Https(acceptAny: true).CreateMetadataStore();
            Assert.Equal("D0001", (await relaxed.Datasets.CreateAsync(id => new Contracts.Dataset { Id = id })).Id);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }


    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(200);
            }
        }

        throw new TimeoutException($"cosmosdb-server did not open port {port}");
    }

}
