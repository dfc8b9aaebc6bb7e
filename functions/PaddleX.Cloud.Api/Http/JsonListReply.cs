using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace PaddleX.Cloud.Api.Http;

/// <summary><c>{"status": 1, "name": [item, ...]}</c> from items that are already serialized JSON
/// (cached per entity), written straight to the response: a list of thousands of entities costs
/// copying bytes, not building and serializing a document.</summary>
public sealed class JsonListReply(string name, IReadOnlyList<byte[]> items) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var head = System.Text.Encoding.UTF8.GetBytes($"{{\"status\":1,\"{name}\":[");
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = head.Length + items.Sum(i => (long)i.Length) + Math.Max(items.Count - 1, 0) + 2;
        var writer = response.BodyWriter;
        writer.Write(head);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(","u8);
            }

            writer.Write(items[i]);
            if (writer.UnflushedBytes > 64 * 1024)
            {
                await writer.FlushAsync(httpContext.RequestAborted);
            }
        }

        writer.Write("]}"u8);
        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
