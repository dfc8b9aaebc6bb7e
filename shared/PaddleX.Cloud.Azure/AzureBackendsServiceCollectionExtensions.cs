using global::Azure.Core;
using global::Azure.Identity;
using global::Azure.Messaging.ServiceBus;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PaddleX.Cloud.Azure.Blobs;
using PaddleX.Cloud.Azure.Cosmos;
using PaddleX.Cloud.Azure.Jobs;
using PaddleX.Cloud.Storage;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure;

public static class AzureBackendsServiceCollectionExtensions
{
    /// <summary>Registers IMetadataStore (Cosmos DB), IArtifactStore (Blob Storage) and IJobQueue
    /// (Service Bus or Storage Queue, by <c>Jobs:Transport</c>) as singletons configured from the
    /// <c>Tenant</c>, <c>Cosmos</c>, <c>Storage</c> and <c>Jobs</c> sections. Without a key or
    /// connection string the clients authenticate with DefaultAzureCredential.</summary>
    public static IServiceCollection AddAzureBackends(this IServiceCollection services, IConfiguration configuration)
    {
        AddBackendOptions(services, configuration).Configure(o => o.Backend = BackendOptions.Azure); // whatever Backend says
        services.AddSingleton(sp => AzureBackends.From(sp.GetRequiredService<IOptions<BackendOptions>>().Value));
        services.AddSingleton<IMetadataStore>(sp => sp.GetRequiredService<AzureBackends>().CreateMetadataStore());
        services.AddSingleton<IArtifactStore>(sp => sp.GetRequiredService<AzureBackends>().CreateArtifactStore());
        services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<AzureBackends>().CreateJobQueue());
        return services;
    }

    /// <summary>The backends named by <c>Backend</c> (<c>--backend</c>): <c>local</c> (default: everything
    /// in <paramref name="workspaceDirectory"/>) or <c>azure</c> (Cosmos DB, Blob Storage, Service Bus or
    /// Storage Queue, see <see cref="AddAzureBackends"/>). The host refuses to start when the settings
    /// do not fit the backend (<see cref="BackendOptions.Problems"/>).</summary>
    public static IServiceCollection AddConfiguredBackends(this IServiceCollection services, IConfiguration configuration, string workspaceDirectory)
    {
        var backend = configuration["Backend"] is { Length: > 0 } named ? named : BackendOptions.Local;
        switch (backend.ToUpperInvariant())
        {
            case "LOCAL":
                AddBackendOptions(services, configuration);
                return services.AddLocalBackends(workspaceDirectory);
            case "AZURE":
                return services.AddAzureBackends(configuration);
            default:
                throw new ArgumentException($"--backend must be {BackendOptions.Local} or {BackendOptions.Azure}, not '{backend}'");
        }
    }

    private static OptionsBuilder<BackendOptions> AddBackendOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackendOptions>, BackendOptionsValidator>());
        return services.AddOptions<BackendOptions>().Bind(configuration).ValidateOnStart();
    }
}

/// <summary>The bound options and factories for the Azure adapters (also used directly by tests and tools).</summary>
public sealed class AzureBackends
{
    private readonly Lazy<TokenCredential> credential = new(() => new DefaultAzureCredential());

    public required TenantOptions Tenant { get; init; }

    public required CosmosOptions Cosmos { get; init; }

    public required StorageOptions Storage { get; init; }

    public required JobsOptions Jobs { get; init; }

    public static AzureBackends FromConfiguration(IConfiguration configuration)
    {
        var options = new BackendOptions();
        configuration.Bind(options);
        return From(options);
    }

    public static AzureBackends From(BackendOptions options) => new()
    {
        Tenant = options.Tenant,
        Cosmos = options.Cosmos,
        Storage = options.Storage,
        Jobs = options.Jobs,
    };

    public CosmosClient CreateCosmosClient()
    {
        var options = new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = Cosmos.LimitToEndpoint,
            ApplicationName = "paddlex-cloud",
        };
        var endpoint = CosmosEndpoint();
        if (Cosmos.AcceptAnyServerCertificate)
        {
            if (endpoint is null || !endpoint.IsLoopback)
            {
                throw new InvalidOperationException("Cosmos:AcceptAnyServerCertificate is for a local test server only (a loopback endpoint).");
            }

            options.HttpClientFactory = () => new HttpClient(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            });
        }

        if (!string.IsNullOrWhiteSpace(Cosmos.ConnectionString))
        {
            return new CosmosClient(Cosmos.ConnectionString, options);
        }

        if (endpoint is null)
        {
            throw new InvalidOperationException("Configure Cosmos:ConnectionString or Cosmos:Endpoint.");
        }

        return string.IsNullOrWhiteSpace(Cosmos.Key)
            ? new CosmosClient(endpoint.ToString(), credential.Value, options)
            : new CosmosClient(endpoint.ToString(), Cosmos.Key, options);
    }

    public CosmosMetadataStore CreateMetadataStore()
    {
        var client = CreateCosmosClient();
        var container = client.GetContainer(Cosmos.Database, Cosmos.Container);
        Func<CancellationToken, Task>? ensure = null;
        if (Cosmos.EnsureCreated)
        {
            var once = new AsyncOnce(ct => CosmosMetadataStore.EnsureContainerAsync(client, Cosmos.Database, Cosmos.Container, ct));
            ensure = once.RunAsync;
        }

        return new CosmosMetadataStore(container, Tenant.Id, ensure);
    }

    public BlobContainerClient CreateBlobContainerClient()
    {
        if (!string.IsNullOrWhiteSpace(Storage.ConnectionString))
        {
            return new BlobContainerClient(Storage.ConnectionString, Storage.Container);
        }

        if (string.IsNullOrWhiteSpace(Storage.BlobEndpoint))
        {
            throw new InvalidOperationException("Configure Storage:ConnectionString or Storage:BlobEndpoint.");
        }

        return new BlobServiceClient(new Uri(Storage.BlobEndpoint), credential.Value).GetBlobContainerClient(Storage.Container);
    }

    public BlobArtifactStore CreateArtifactStore()
    {
        var container = CreateBlobContainerClient();
        Func<CancellationToken, Task>? ensure = null;
        if (Storage.EnsureCreated)
        {
            ensure = new AsyncOnce(async ct => await container.CreateIfNotExistsAsync(cancellationToken: ct)).RunAsync;
        }

        return new BlobArtifactStore(container, Tenant.Id, Storage.CacheDirectory, ensure);
    }

    public IJobQueue CreateJobQueue() => Jobs.Transport switch
    {
        JobTransport.ServiceBus => CreateServiceBusJobQueue(),
        JobTransport.StorageQueue => CreateStorageQueueJobQueue(),
        _ => throw new InvalidOperationException($"Unknown Jobs:Transport '{Jobs.Transport}'."),
    };

    public ServiceBusJobQueue CreateServiceBusJobQueue()
    {
        ServiceBusClient client;
        if (!string.IsNullOrWhiteSpace(Jobs.ConnectionString))
        {
            client = new ServiceBusClient(Jobs.ConnectionString);
        }
        else if (!string.IsNullOrWhiteSpace(Jobs.Namespace))
        {
            client = new ServiceBusClient(Jobs.Namespace, credential.Value);
        }
        else
        {
            throw new InvalidOperationException("Configure Jobs:ConnectionString or Jobs:Namespace for Service Bus.");
        }

        var receiver = client.CreateReceiver(Jobs.Queue, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.PeekLock, PrefetchCount = 0 });
        var deadLetters = client.CreateReceiver(Jobs.Queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter, PrefetchCount = 0 });
        return new ServiceBusJobQueue(client.CreateSender(Jobs.Queue), receiver, client, deadLetters) { MaxDeliveryCount = Jobs.MaxDeliveryCount };
    }

    public StorageQueueJobQueue CreateStorageQueueJobQueue()
    {
        QueueClient queue;
        QueueClient poison;
        var poisonName = StorageQueueJobQueue.PoisonQueueName(Jobs.Queue);
        if (!string.IsNullOrWhiteSpace(Jobs.ConnectionString))
        {
            queue = new QueueClient(Jobs.ConnectionString, Jobs.Queue);
            poison = new QueueClient(Jobs.ConnectionString, poisonName);
        }
        else
        {
            var endpoint = Jobs.Namespace ?? Storage.QueueEndpoint;
            if (string.IsNullOrWhiteSpace(endpoint))
            {
                throw new InvalidOperationException("Configure Jobs:ConnectionString, Jobs:Namespace or Storage:QueueEndpoint for Storage Queue.");
            }

            var service = new QueueServiceClient(new Uri(endpoint), credential.Value);
            queue = service.GetQueueClient(Jobs.Queue);
            poison = service.GetQueueClient(poisonName);
        }

        Func<CancellationToken, Task>? ensure = null;
        if (Storage.EnsureCreated)
        {
            ensure = new AsyncOnce(async ct =>
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: ct);
                await poison.CreateIfNotExistsAsync(cancellationToken: ct);
            }).RunAsync;
        }

        return new StorageQueueJobQueue(queue, poison, Jobs.LeaseDuration, ensure)
        {
            MaxDeliveryCount = Jobs.MaxDeliveryCount,
            PollInterval = Jobs.PollInterval,
        };
    }

    private Uri? CosmosEndpoint()
    {
        if (!string.IsNullOrWhiteSpace(Cosmos.ConnectionString))
        {
            var part = Cosmos.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("AccountEndpoint", StringComparison.OrdinalIgnoreCase));
            return part is null ? null : new Uri(part[1].Trim());
        }

        return string.IsNullOrWhiteSpace(Cosmos.Endpoint) ? null : new Uri(Cosmos.Endpoint);
    }
}

/// <summary>Runs an initialization once; a failed run is retried by the next caller.</summary>
internal sealed class AsyncOnce(Func<CancellationToken, Task> action)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool done;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (done)
        {
            return;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!done)
            {
                await action(cancellationToken);
                done = true;
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
