using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using PaddleX.Cloud.Contracts;
using Task = System.Threading.Tasks.Task;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure.Cosmos;

/// <summary>Metadata of one workspace in one Cosmos DB container partitioned by <c>/pk</c> (= the
/// workspace id): a document per entity (<c>id</c> = the entity id, <c>kind</c>, <c>number</c>, and the
/// protobuf entity as JSON under <c>entity</c>) plus one <c>counters</c> document holding the highest id
/// number issued per id prefix (<c>issued</c>: {"D": 12, "P": 3, …}).</summary>
/// <remarks>Only operations that work on the Cosmos test server as well as on Azure are used: point
/// create/replace/delete, ETag preconditions, and queries that name the partition key in WHERE. No
/// batch, no bulk, no ORDER BY (lists are sorted here), and a missing id is detected with a query,
/// never from a point read's 404 (the test server answers 500 there).</remarks>
public sealed class CosmosMetadataStore : IMetadataStore
{
    internal const string CountersId = "counters";
    private readonly Func<CancellationToken, Task> ensureReady;

    public CosmosMetadataStore(Container container, string workspaceId, Func<CancellationToken, Task>? ensureReady = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workspaceId);
        Container = container;
        WorkspaceId = workspaceId;
        PartitionKey = new PartitionKey(workspaceId);
        this.ensureReady = ensureReady ?? (_ => Task.CompletedTask);
        Datasets = new CosmosEntitySet<Dataset>(this, "dataset", EntityIds.Dataset);
        Projects = new CosmosEntitySet<Project>(this, "project", EntityIds.Project);
        Tasks = new CosmosEntitySet<Contracts.TaskInfo>(this, "task", EntityIds.Task);
        PretrainedModels = new CosmosEntitySet<PretrainedModel>(this, "pretrained_model", EntityIds.PretrainedModel);
        ExportedModels = new CosmosEntitySet<ExportedModel>(this, "exported_model", EntityIds.ExportedModel);
    }

    public string WorkspaceId { get; }

    public IEntitySet<Dataset> Datasets { get; }

    public IEntitySet<Project> Projects { get; }

    public IEntitySet<Contracts.TaskInfo> Tasks { get; }

    public IEntitySet<PretrainedModel> PretrainedModels { get; }

    public IEntitySet<ExportedModel> ExportedModels { get; }

    internal Container Container { get; }

    internal PartitionKey PartitionKey { get; }

    /// <summary>Serializes id allocation inside this process; across processes the ETag decides.</summary>
    internal SemaphoreSlim AllocationGate { get; } = new(1, 1);

    internal Task EnsureReadyAsync(CancellationToken cancellationToken) => ensureReady(cancellationToken);

    /// <summary>Documents of this partition matching <paramref name="filter"/> (which may use @p0, @p1 …).</summary>
    internal async Task<List<JsonElement>> QueryAsync(string filter, IReadOnlyList<object> parameters, CancellationToken cancellationToken)
    {
        await EnsureReadyAsync(cancellationToken);
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.pk = @pk AND ({filter})").WithParameter("@pk", WorkspaceId);
        for (var i = 0; i < parameters.Count; i++)
        {
            query = query.WithParameter("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), parameters[i]);
        }

        var results = new List<JsonElement>();
        using var iterator = Container.GetItemQueryStreamIterator(query, continuationToken: null, new QueryRequestOptions { PartitionKey = PartitionKey });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            response.EnsureSuccessStatusCode();
            using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
            if (page.RootElement.TryGetProperty("Documents", out var documents))
            {
                results.AddRange(documents.EnumerateArray().Select(d => d.Clone()));
            }
        }

        return results;
    }

    /// <summary>The counters document and its ETag, or (null, null) when none exists yet.</summary>
    internal async Task<(JsonElement? Counters, string? ETag)> ReadCountersAsync(CancellationToken cancellationToken)
    {
        var found = await QueryAsync("c.id = @p0", [CountersId], cancellationToken);
        return found.Count == 0 ? (null, null) : (found[0], found[0].GetProperty("_etag").GetString());
    }

    /// <summary>Stores <paramref name="counters"/> as the counters document: a create when
    /// <paramref name="etag"/> is null, else a replace guarded by it. False when someone else won.</summary>
    internal async Task<bool> TryWriteCountersAsync(Dictionary<string, int> counters, string? etag, CancellationToken cancellationToken)
    {
        using var body = Documents.Counters(CountersId, WorkspaceId, counters);
        using var response = etag is null
            ? await Container.CreateItemStreamAsync(body, PartitionKey, cancellationToken: cancellationToken)
            : await Container.ReplaceItemStreamAsync(body, CountersId, PartitionKey, new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>Creates the database and the container (partition key <c>/pk</c>) when missing.</summary>
    public static async Task<Container> EnsureContainerAsync(CosmosClient client, string database, string container, CancellationToken cancellationToken = default)
    {
        var db = (await client.CreateDatabaseIfNotExistsAsync(database, cancellationToken: cancellationToken)).Database;
        return (await db.CreateContainerIfNotExistsAsync(new ContainerProperties(container, "/pk"), cancellationToken: cancellationToken)).Container;
    }
}
