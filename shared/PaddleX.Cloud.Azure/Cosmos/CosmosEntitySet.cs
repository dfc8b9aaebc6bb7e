using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Azure.Cosmos;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure.Cosmos;

internal sealed class CosmosEntitySet<T>(CosmosMetadataStore store, string kind, string prefix) : IEntitySet<T>
    where T : class, IMessage<T>, new()
{
    private const int MaxAttempts = 200;

    public async ValueTask<T?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var document = await FindAsync(id, cancellationToken);
        return document is { } doc ? Documents.ReadEntity<T>(doc) : null;
    }

    public async ValueTask<IReadOnlyList<T>> ListAsync(CancellationToken cancellationToken = default)
    {
        var documents = await store.QueryAsync("c.kind = @p0", [kind], cancellationToken);

        // Sorted here: ORDER BY needs the SDK's query plan, which the test server does not answer.
        return documents
            .Select(d => (Id: d.GetProperty("id").GetString()!, Entity: Documents.ReadEntity<T>(d)))
            .OrderBy(e => EntityIds.Parse(prefix, e.Id))
            .ThenBy(e => e.Id, StringComparer.Ordinal)
            .Select(e => e.Entity)
            .ToList();
    }

    /// <remarks>Reserves the next number in the counters document (ETag-guarded replace) and then
    /// creates the entity document. <paramref name="build"/> runs before the reservation, so a throwing
    /// build reserves nothing; under contention with another process it may run again with a later id.</remarks>
    public async ValueTask<T> CreateAsync(Func<string, T> build, CancellationToken cancellationToken = default)
    {
        await store.AllocationGate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var (countersDocument, etag) = await store.ReadCountersAsync(cancellationToken);
                var counters = Documents.ReadCounters(countersDocument);
                var number = counters.GetValueOrDefault(prefix) + 1;
                var id = EntityIds.Format(prefix, number);
                var entity = build(id);
                counters[prefix] = number;
                if (!await store.TryWriteCountersAsync(counters, etag, cancellationToken))
                {
                    await Backoff(attempt, cancellationToken);
                    continue; // another process took this number first
                }

                using var body = Documents.Entity(id, store.WorkspaceId, kind, number, entity);
                using var response = await store.Container.CreateItemStreamAsync(body, store.PartitionKey, cancellationToken: cancellationToken);
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    continue; // a document left behind while the counters were behind: skip the number
                }

                response.EnsureSuccessStatusCode();
                return entity.Clone();
            }

            throw new InvalidOperationException($"Could not allocate a {kind} id after {MaxAttempts} attempts.");
        }
        finally
        {
            store.AllocationGate.Release();
        }
    }

    public async ValueTask<T?> UpdateAsync(string id, Action<T> mutate, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await FindAsync(id, cancellationToken) is not { } document)
            {
                return null;
            }

            var entity = Documents.ReadEntity<T>(document);
            mutate(entity);
            var etag = document.GetProperty("_etag").GetString();
            var number = document.TryGetProperty("number", out var n) ? n.GetInt32() : EntityIds.Parse(prefix, id);
            using var body = Documents.Entity(id, store.WorkspaceId, kind, number, entity);
            using var response = await store.Container.ReplaceItemStreamAsync(body, id, store.PartitionKey, new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
            switch (response.StatusCode)
            {
                case HttpStatusCode.PreconditionFailed:
                    await Backoff(attempt, cancellationToken);
                    continue;
                case HttpStatusCode.NotFound:
                    return null;
                default:
                    response.EnsureSuccessStatusCode();
                    return entity.Clone();
            }
        }

        throw new InvalidOperationException($"Could not update {id} after {MaxAttempts} attempts of concurrent changes.");
    }

    public async ValueTask<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        if (EntityIds.Parse(prefix, id) < 0 || id == CosmosMetadataStore.CountersId)
        {
            return false;
        }

        await store.EnsureReadyAsync(cancellationToken);
        if (await FindAsync(id, cancellationToken) is null)
        {
            return false; // also refuses an id of another kind
        }

        using var response = await store.Container.DeleteItemStreamAsync(id, store.PartitionKey, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    private async Task<JsonElement?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (EntityIds.Parse(prefix, id) < 0)
        {
            return null;
        }

        // A query, not a point read: the test server answers a missing point read with 500.
        var found = await store.QueryAsync("c.id = @p0 AND c.kind = @p1", [id, kind], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    private static Task Backoff(int attempt, CancellationToken cancellationToken) =>
        System.Threading.Tasks.Task.Delay(Random.Shared.Next(0, Math.Min(50, 2 + (attempt * 3))), cancellationToken);
}
