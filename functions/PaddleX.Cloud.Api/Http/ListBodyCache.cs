using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace PaddleX.Cloud.Api.Http;

/// <summary>The encoded answer of one list (<c>GET /dataset</c> or <c>GET /project</c>) for the
/// newest list asked for: readers of the same version share one body and write it without building
/// anything; the first reader after a change makes the next body from this one (see
/// <see cref="ListBody"/>) while readers of that version wait for it. One body per list is kept, not
/// one per version.</summary>
public sealed class ListBodyCache(string name)
{
    // ETags from an earlier process never match: the workspace may have changed in between.
    private static readonly string Instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private readonly ListFrame frame = new(name);
    private readonly SemaphoreSlim gate = new(1, 1);
    private ListBody? current;
    private long generation;

    /// <summary>The body of <paramref name="items"/> (a listing of one version of the store), with
    /// its gzip segments when <paramref name="gzip"/>. A body is made only from the items it is
    /// asked for, so a reader never gets an older version than the one it listed.</summary>
    internal async ValueTask<ListBody> GetAsync(IReadOnlyList<ListItem> items, bool gzip)
    {
        var body = Volatile.Read(ref current);
        if (Serves(body, items, gzip))
        {
            ListMetrics.Reads.Add(1, ListMetrics.Cached);
            return body;
        }

        await gate.WaitAsync();
        try
        {
            body = current;
            if (Serves(body, items, gzip))
            {
                ListMetrics.Reads.Add(1, ListMetrics.Waited);
                return body;
            }

            var started = Stopwatch.GetTimestamp();
            if (body is null || !ReferenceEquals(body.Items, items))
            {
                body = ListBody.Make(frame, items, body, () => $"W/\"{Instance}-{++generation}\"");
                Volatile.Write(ref current, body);
            }

            if (gzip)
            {
                body.MakeGzip();
            }

            ListMetrics.Reads.Add(1, ListMetrics.Made);
            ListMetrics.MakeTime.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return body;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Whether <paramref name="body"/> is the answer for <paramref name="items"/> as asked.</summary>
    private static bool Serves([NotNullWhen(true)] ListBody? body, IReadOnlyList<ListItem> items, bool gzip) =>
        body is not null && ReferenceEquals(body.Items, items) && (!gzip || body.Gzip is not null);
}
