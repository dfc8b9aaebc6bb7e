using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace PaddleX.Cloud.Api.Http;

/// <summary>The HTTP semantics shared by every host: CORS, the API key, argument binding, the
/// error model. A host finds the route (or not) and lets this turn the request into an answer.</summary>
public sealed class ApiDispatcher(ApiServices services, ILogger<ApiDispatcher> logger)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Serves a request on a host that routes by itself (Kestrel).</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var result = await ExecuteAsync(context, RouteTable.Find(context.Request.Path.Value ?? "/"));
        await result.ExecuteAsync(context);
    }

    /// <summary>The answer to a request for <paramref name="route"/> (null: no such path).</summary>
    public async Task<IResult> ExecuteAsync(HttpContext context, ApiRoute? route)
    {
        var request = context.Request;
        var preflight = HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method");
        if (!ApplyCors(context, route, preflight))
        {
            return JsonReply.Error(ErrorCodes.Unauthorized, "origin not allowed", StatusCodes.Status403Forbidden);
        }

        if (preflight)
        {
            return Results.NoContent();
        }

        if (route is null)
        {
            return JsonReply.Error(ErrorCodes.RouteNotFound, $"路径{request.Path}不存在 (no route {request.Path})", StatusCodes.Status404NotFound);
        }

        if (!route.Methods.TryGetValue(request.Method.ToUpperInvariant(), out var handler))
        {
            context.Response.Headers.Allow = string.Join(", ", route.AllowedMethods);
            return JsonReply.Error(ErrorCodes.MethodNotAllowed, $"{route.Path}不支持{request.Method}请求 (method {request.Method} not allowed)", StatusCodes.Status405MethodNotAllowed);
        }

        try
        {
            var args = await BindAsync(request, route.MaxBodyBytes ?? services.Options.MaxBodyBytes);
            Authorize(request, args);
            return await handler(new ApiCall(args, services, context));
        }
        catch (ApiException failure)
        {
            return JsonReply.Error(failure.Code, failure.Message, failure.HttpStatus);
        }
        catch (BadHttpRequestException failure) when (failure.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
#pragma warning disable CA1031 // the boundary: an internal fault becomes a 500 with the JSON shape, never a stack trace
        catch (Exception fault)
#pragma warning restore CA1031
        {
            var correlationId = context.TraceIdentifier;
            logger.LogError(fault, "Unhandled fault in {Method} {Path} (correlation id {CorrelationId})", request.Method, route.Path, correlationId);
            return JsonReply.Error(ErrorCodes.InternalError, $"服务内部错误，请联系管理员 (internal error; correlation id {correlationId})", StatusCodes.Status500InternalServerError, correlationId);
        }
    }

    /// <summary>The JSON body when there is one, otherwise the query string (docs/api-behaviour.md §1).</summary>
    private static async Task<ApiArgs> BindAsync(HttpRequest request, long maxBodyBytes)
    {
        if (request.ContentLength > maxBodyBytes)
        {
            throw new ApiException(ErrorCodes.BodyTooLarge, $"请求体超过{maxBodyBytes}字节 (body larger than {maxBodyBytes} bytes)", StatusCodes.Status413PayloadTooLarge);
        }

        if (request.HasFormContentType)
        {
            return BindForm(await request.ReadFormAsync(request.HttpContext.RequestAborted), request.Query);
        }

        var body = await ReadBodyAsync(request, maxBodyBytes);
        if (body.Length == 0 || body.AsSpan().IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return BindQuery(request.Query);
        }

        JsonNode? node;
        try
        {
            _ = StrictUtf8.GetCharCount(body);
            node = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (Exception failure) when (failure is JsonException or DecoderFallbackException)
        {
            throw new ApiException(ErrorCodes.MalformedJson, "请求体不是合法的JSON (the request body is not valid JSON)", StatusCodes.Status400BadRequest);
        }

        return node switch
        {
            null => BindQuery(request.Query),
            JsonObject obj => new ApiArgs(obj),
            _ => throw new ApiException(ErrorCodes.InvalidBody, "请求体应为JSON对象 (the request body must be a JSON object)", StatusCodes.Status400BadRequest),
        };
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long maxBodyBytes)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBodyBytes)
            {
                throw new ApiException(ErrorCodes.BodyTooLarge, $"请求体超过{maxBodyBytes}字节 (body larger than {maxBodyBytes} bytes)", StatusCodes.Status413PayloadTooLarge);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ApiArgs BindQuery(IQueryCollection query) => new(ToObject(query));

    private static ApiArgs BindForm(IFormCollection form, IQueryCollection query)
    {
        var values = ToObject(query);
        foreach (var (key, value) in form)
        {
            values[key] = ToNode(value);
        }

        return new ApiArgs(values);
    }

    private static JsonObject ToObject(IEnumerable<KeyValuePair<string, StringValues>> pairs)
    {
        var values = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            values[key] = ToNode(value);
        }

        return values;
    }

    private static JsonNode ToNode(StringValues value) =>
        value.Count == 1 ? JsonValue.Create(value[0] ?? string.Empty) : new JsonArray(value.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private void Authorize(HttpRequest request, ApiArgs args)
    {
        var expected = services.Options.ApiKey;
        if (string.IsNullOrEmpty(expected))
        {
            return;
        }

        var given = request.Headers["X-Api-Key"].FirstOrDefault() ?? (args.Values["api_key"] as JsonValue)?.ToString();
        if (!FixedTimeEquals(given, expected))
        {
            throw new ApiException(ErrorCodes.Unauthorized, "缺少或错误的API密钥 (missing or wrong API key)", StatusCodes.Status401Unauthorized);
        }

        args.Values.Remove("api_key");
    }

    private static bool FixedTimeEquals(string? given, string expected) =>
        given is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    /// <summary>Adds the CORS headers; false when the origin is not allowed.</summary>
    private bool ApplyCors(HttpContext context, ApiRoute? route, bool preflight)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        if (!services.Options.Allows(origin) && !IsSameOrigin(context.Request, origin))
        {
            return false;
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowCredentials = "true";
        headers.Vary = "Origin";
        if (preflight)
        {
            headers.AccessControlAllowMethods = route is null ? "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE" : string.Join(", ", route.AllowedMethods.Append("OPTIONS"));
            var requested = context.Request.Headers.AccessControlRequestHeaders.ToString();
            if (requested.Length > 0)
            {
                headers.AccessControlAllowHeaders = requested;
            }

            headers.AccessControlMaxAge = "600";
        }

        return true;
    }

    /// <summary>A page the API serves itself (the training dashboard) calling back to it.</summary>
    private static bool IsSameOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && request.Host.HasValue
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static JsonReply TooLarge() =>
        JsonReply.Error(ErrorCodes.BodyTooLarge, "请求体过大 (request body too large)", StatusCodes.Status413PayloadTooLarge);
}
