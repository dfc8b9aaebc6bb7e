namespace PaddleX.Cloud.Azure;

/// <summary>Which workspace (tenant) this process serves: the Cosmos partition key and the blob prefix.
/// (Section <c>Tenant</c>: the key <c>Workspace</c> is the local workspace folder of the server.)</summary>
public sealed class TenantOptions
{
    /// <summary><c>Tenant:Id</c>. Letters, digits, '-' and '_' only (a blob prefix and a partition key).</summary>
    public string Id { get; set; } = "default";
}

/// <summary>Configuration section <c>Cosmos</c>.</summary>
public sealed class CosmosOptions
{
    /// <summary><c>Cosmos:ConnectionString</c> (AccountEndpoint=…;AccountKey=…). Wins over <see cref="Endpoint"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>Cosmos:Endpoint</c>, used with DefaultAzureCredential when there is no connection string.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>Cosmos:Key</c>: an account key to use with <see cref="Endpoint"/> instead of Entra ID.</summary>
    public string? Key { get; set; }

    public string Database { get; set; } = "paddlex";

    public string Container { get; set; } = "workspace";

    /// <summary>Create the database and container when missing (emulators, development).
    /// Off by default: production provisions them (Bicep) and data-plane roles cannot create them.</summary>
    public bool EnsureCreated { get; set; }

    /// <summary>Talk only to the configured endpoint (emulators, the test server); never discover regions.</summary>
    public bool LimitToEndpoint { get; set; }

    /// <summary>DEVELOPMENT ONLY: accept any TLS certificate (the Cosmos test server's self-signed one).
    /// Never on by default; refused unless the endpoint is a loopback address.</summary>
    public bool AcceptAnyServerCertificate { get; set; }
}

/// <summary>Configuration section <c>Storage</c> (artifacts in Blob Storage).</summary>
public sealed class StorageOptions
{
    /// <summary><c>Storage:ConnectionString</c>. Wins over the endpoints.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>Storage:BlobEndpoint</c>, e.g. https://account.blob.core.windows.net, with DefaultAzureCredential.</summary>
    public string? BlobEndpoint { get; set; }

    /// <summary><c>Storage:QueueEndpoint</c>, used by the Storage Queue job transport when it has no connection string.</summary>
    public string? QueueEndpoint { get; set; }

    public string Container { get; set; } = "paddlex";

    /// <summary>Create the container (and queues) when missing. Off by default.</summary>
    public bool EnsureCreated { get; set; }

    /// <summary>Local folder for <see cref="Ports.IArtifactStore.MaterializeAsync"/>; default: a folder under the temp path.</summary>
    public string? CacheDirectory { get; set; }
}

public enum JobTransport
{
    ServiceBus,
    StorageQueue,
}

/// <summary>Configuration section <c>Jobs</c>.</summary>
public sealed class JobsOptions
{
    public JobTransport Transport { get; set; } = JobTransport.ServiceBus;

    /// <summary><c>Jobs:ConnectionString</c>: a Service Bus or a Storage connection string, by <see cref="Transport"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>Jobs:Namespace</c>: the Service Bus namespace (name.servicebus.windows.net) or, for
    /// StorageQueue, the queue endpoint (falls back to <c>Storage:QueueEndpoint</c>), with DefaultAzureCredential.</summary>
    public string? Namespace { get; set; }

    public string Queue { get; set; } = "paddlex-jobs";

    /// <summary>Faulted deliveries before a message is dead-lettered; hand-backs on shutdown do not count.
    /// (Service Bus: the queue's own limit is a higher safety cap, see ServiceBusJobQueue.)</summary>
    public int MaxDeliveryCount { get; set; } = 5;

    /// <summary>Storage Queue visibility timeout of a lease (Service Bus: the queue's lock duration applies).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Storage Queue polling interval while waiting for a message.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
