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
        // One pass through the cache: a 304 for a gzip client may compress blocks it does not send,
        // which the next reader of this version needs anyway.
        var body = await cache.GetAsync(items, gzip);
        var response = httpContext.Response;
        response.Headers.ETag = body.ETag;
        response.Headers.Vary = HeaderNames.AcceptEncoding;
        if (Matches(request.Headers.IfNoneMatch, body.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
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
        writer.Write(body.Frame.Head);
        var first = true;
        foreach (var part in body.Parts)
        {
            for (var i = 0; i < part.Count; i++)
            {
                if (!first)
                {
                    writer.Write(","u8);
                }

                first = false;
                writer.Write(part[i].Json);
                if (writer.UnflushedBytes > 64 * 1024)
                {
                    await writer.FlushAsync(httpContext.RequestAborted);
                }
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
