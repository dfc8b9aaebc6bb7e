using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PaddleX.Cloud.Api.Http;

/// <summary>A JSON object answer. Non-ASCII text (the original's Chinese messages, user names) is
/// written as UTF-8, not escaped.</summary>
public sealed class JsonReply(JsonObject body, int statusCode = StatusCodes.Status200OK) : IResult
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public JsonObject Body { get; } = body;

    public int StatusCode { get; } = statusCode;

    /// <summary><c>{"status": 1, ...fields}</c>.</summary>
    public static JsonReply Ok(JsonObject? fields = null)
    {
        var body = new JsonObject { ["status"] = 1 };
        foreach (var (key, value) in fields ?? [])
        {
            body[key] = value?.DeepClone();
        }

        return new JsonReply(body);
    }

    public static JsonReply Error(string code, string message, int statusCode = StatusCodes.Status200OK, string? correlationId = null)
    {
        var body = new JsonObject { ["status"] = -1, ["message"] = message, ["code"] = code };
        if (correlationId is not null)
        {
            body["correlation_id"] = correlationId;
        }

        return new JsonReply(body, statusCode);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await httpContext.Response.WriteAsync(Body.ToJsonString(Options), httpContext.RequestAborted);
    }
}
