using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace PaddleX.Cloud.Api.Http;

/// <summary><c>{"status": 1, "name": [item, ...]}</c> from items that are already serialized JSON
/// (cached per entity), from a body encoded once per list version (<see cref="ListBodyCache"/>):
/// gzip when the client accepts it (Python <c>requests</c> does by default), else the items written
/// straight to the response; 304 when the client already holds this version (If-None-Match).</summary>
public sealed class JsonListReply(ListBodyCache cache, IReadOnlyList<ListItem> items) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var request = httpContext.Request;
        var gzip = AcceptsGzip(request.Headers.AcceptEncoding);
        var body = await cache.GetAsync(items, gzip: false);
        var response = httpContext.Response;
        response.Headers.ETag = body.ETag;
        response.Headers.Vary = HeaderNames.AcceptEncoding;
        if (Matches(request.Headers.IfNoneMatch, body.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        if (gzip)
        {
            // The same items with their gzip segments; the body may be a new one of equal content
            // when another version was cached in between, so its own ETag goes out.
            body = await cache.GetAsync(items, gzip: true);
            response.Headers.ETag = body.ETag;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var writer = response.BodyWriter;
        if (gzip)
        {
            var segments = body.Gzip!;
            response.Headers.ContentEncoding = "gzip";
            response.ContentLength = segments.Sum(s => (long)s.Length);
            foreach (var segment in segments)
            {
                writer.Write(segment);
            }

            await writer.FlushAsync(httpContext.RequestAborted);
            return;
        }

        response.ContentLength = body.Length;
        var listed = body.Items;
        writer.Write(body.Frame.Head);
        for (var i = 0; i < listed.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(","u8);
            }

            writer.Write(listed[i].Json);
            if (writer.UnflushedBytes > 64 * 1024)
            {
                await writer.FlushAsync(httpContext.RequestAborted);
            }
        }

        writer.Write(body.Frame.Tail);
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>gzip (or *) listed in Accept-Encoding without q=0.</summary>
    internal static bool AcceptsGzip(StringValues acceptEncoding)
    {
        foreach (var header in acceptEncoding)
        {
            foreach (var entry in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = entry.Split(';', StringSplitOptions.TrimEntries);
                if (!parts[0].Equals("gzip", StringComparison.OrdinalIgnoreCase) && !parts[0].Equals("x-gzip", StringComparison.OrdinalIgnoreCase) && parts[0] != "*")
                {
                    continue;
                }

                var refused = parts.Skip(1).Any(p => p.Replace(" ", string.Empty, StringComparison.Ordinal) is var q
                    && q.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                    && double.TryParse(q[2..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var weight)
                    && weight <= 0);
                if (!refused)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Weak comparison (RFC 9110 13.1.2): the gzip and the identity answer of a version
    /// share their ETag.</summary>
    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var tag in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*" || Opaque(tag) == Opaque(etag))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
}
