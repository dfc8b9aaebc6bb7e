using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace PaddleX.Cloud.Api.Http;

/// <summary>The HTTP semantics shared by every host: CORS, the API key, argument binding, the
/// error model. A host finds the route (or not) and lets this turn the request into an answer.</summary>
public sealed class ApiDispatcher(ApiServices services, ILogger<ApiDispatcher> logger)
{
    /// <summary>Serves a request on a host that routes by itself (Kestrel).</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var result = await ExecuteAsync(context, RouteTable.Find(context.Request.Path.Value ?? "/"));
        await result.ExecuteAsync(context);
    }

    /// <summary>Longest request target (path and query) answered; longer ones get 414. The web
    /// server lets longer lines through so that this answer carries the JSON shape.</summary>
    public const int MaxTargetLength = 8 * 1024;

    /// <summary>Most a body is read to look for an <c>api_key</c> argument before the caller is known:
    /// a key-less large or multipart body is refused unread.</summary>
    public const long MaxUnauthenticatedBodyBytes = 64 * 1024;

    /// <summary>The answer to a request for <paramref name="route"/> (null: no such path). The order
    /// is the security model: key, route, method and size are checked before any body is read, and
    /// bodies are read only up to their limit (docs/security.md).</summary>
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

        try
        {
            if (request.Path.Value?.Length + request.QueryString.Value?.Length > MaxTargetLength)
            {
                throw new ApiException(ErrorCodes.UriTooLong, $"请求地址超过{MaxTargetLength}字符 (request target longer than {MaxTargetLength} characters)", StatusCodes.Status414UriTooLong);
            }

            var body = new RequestBody(request);
            await AuthorizeAsync(request, body);
            if (route is null)
            {
                throw new ApiException(ErrorCodes.RouteNotFound, $"路径{request.Path}不存在 (no route {request.Path})", StatusCodes.Status404NotFound);
            }

            if (!route.Methods.TryGetValue(request.Method.ToUpperInvariant(), out var handler))
            {
                context.Response.Headers.Allow = string.Join(", ", route.AllowedMethods);
                throw new ApiException(ErrorCodes.MethodNotAllowed, $"{route.Path}不支持{request.Method}请求 (method {request.Method} not allowed)", StatusCodes.Status405MethodNotAllowed);
            }

            var (args, multipart) = await BindAsync(request, body, route.MaxBodyBytes ?? services.Options.MaxBodyBytes);
            args.Values.Remove("api_key");
            return await handler(new ApiCall(args, services, context) { Multipart = multipart });
        }
        catch (ApiException failure)
        {
            return JsonReply.Error(failure.Code, failure.Message, failure.HttpStatus);
        }
        catch (UnauthorizedAccessException)
        {
            // The artifact store refused a file whose real location (through a link) is outside the workspace.
            return JsonReply.Error(ErrorCodes.PathNotAllowed, "路径经符号链接指向工作空间外 (a path leads out of the workspace through a link)");
        }
        catch (BadHttpRequestException failure)
        {
            // The web server's own verdicts while the body arrives: too large, too slow, malformed framing.
            return failure.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => TooLarge(),
                StatusCodes.Status408RequestTimeout => JsonReply.Error(ErrorCodes.RequestTimeout, "请求体传输过慢 (the request body arrived too slowly)", StatusCodes.Status408RequestTimeout),
                _ => JsonReply.Error(ErrorCodes.BadRequest, $"请求格式错误 (bad request: {failure.Message})", failure.StatusCode is >= 400 and < 500 ? failure.StatusCode : StatusCodes.Status400BadRequest),
            };
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
            logger.LogError(fault, "Unhandled fault in {Method} {Path} (correlation id {CorrelationId})", request.Method, route?.Path ?? "?", correlationId);
            return JsonReply.Error(ErrorCodes.InternalError, $"服务内部错误，请联系管理员 (internal error; correlation id {correlationId})", StatusCodes.Status500InternalServerError, correlationId);
        }
    }

    /// <summary>The JSON body when there is one, otherwise the query string (docs/api-behaviour.md §1); form
    /// fields over the query string; a multipart body up to its first file, which the handler streams.</summary>
    private static async Task<(ApiArgs Args, MultipartForm? Multipart)> BindAsync(HttpRequest request, RequestBody body, long maxBodyBytes)
    {
        if (request.ContentLength > maxBodyBytes)
        {
            throw RequestBody.TooLarge(maxBodyBytes);
        }

        var sizeLimit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = maxBodyBytes; // enforced by the web server as the bytes arrive
        }

        if (body.IsMultipart)
        {
            var multipart = MultipartForm.Open(request, maxBodyBytes);
            var values = ToObject(request.Query);
            await multipart.ReadFieldsAsync(values, request.HttpContext.RequestAborted);
            return (new ApiArgs(values), multipart);
        }

        var bytes = await body.ReadAsync(maxBodyBytes);
        if (body.IsUrlEncodedForm)
        {
            var values = ToObject(request.Query);
            foreach (var (key, value) in RequestBody.ParseForm(bytes))
            {
                values[key] = ToNode(value);
            }

            return (new ApiArgs(values), null);
        }

        return RequestBody.ParseJson(bytes) switch
        {
            null => (BindQuery(request.Query), null),
            JsonObject obj => (new ApiArgs(obj), null),
            _ => throw new ApiException(ErrorCodes.InvalidBody, "请求体应为JSON对象 (the request body must be a JSON object)", StatusCodes.Status400BadRequest),
        };
    }

    private static ApiArgs BindQuery(IQueryCollection query) => new(ToObject(query));

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

    /// <summary>The key from the header, else the query string, else (small bodies only) an
    /// <c>api_key</c> argument of the body; checked before the route, so unknown paths tell an
    /// unauthenticated caller nothing.</summary>
    private async Task AuthorizeAsync(HttpRequest request, RequestBody body)
    {
        var expected = services.Options.ApiKey;
        if (string.IsNullOrEmpty(expected))
        {
            return;
        }

        var given = request.Headers["X-Api-Key"].FirstOrDefault() ?? request.Query["api_key"].FirstOrDefault();
        if (given is null && !body.IsMultipart && await body.TryReadAsync(MaxUnauthenticatedBodyBytes) is { } bytes)
        {
            given = KeyInBody(body, bytes);
        }

        if (!FixedTimeEquals(given, expected))
        {
            throw new ApiException(ErrorCodes.Unauthorized, "缺少或错误的API密钥 (missing or wrong API key)", StatusCodes.Status401Unauthorized);
        }
    }

    private static string? KeyInBody(RequestBody body, byte[] bytes)
    {
        try
        {
            return body.IsUrlEncodedForm
                ? RequestBody.ParseForm(bytes).GetValueOrDefault("api_key").FirstOrDefault()
                : (RequestBody.ParseJson(bytes) as JsonObject)?["api_key"] is JsonValue key && key.TryGetValue<string>(out var text) ? text : null;
        }
        catch (ApiException)
        {
            return null; // an unreadable body carries no key: the answer is 401, not a parse error
        }
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
