using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;

namespace PaddleX.Cloud.Api.Site;

/// <summary>The web console (<c>/</c>, <c>/console/*</c>), the interactive API reference
/// (<c>/docs</c>) and the OpenAPI document (<c>/openapi.json</c>). The files ship inside this
/// assembly, so every host serves the same bytes with no CDN; they are public (no API key) because
/// the console itself asks for the key when the API answers 401.</summary>
public static class StaticSite
{
    private const string ResourcePrefix = "PaddleX.Cloud.Api.Site.wwwroot.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private static readonly Lazy<FrozenDictionary<string, byte[]>> Files = new(Load);

    private static readonly Lazy<byte[]> Document = new(() =>
        System.Text.Encoding.UTF8.GetBytes(OpenApiDocument.Build(RouteTable.Routes).ToJsonString(JsonReply.Options)));

    /// <summary>The path of every asset the site serves (tests and hosts).</summary>
    public static IEnumerable<string> Paths => ["/", "/docs", "/openapi.json", .. Files.Value.Keys.Select(name => "/console/" + name)];

    /// <summary>Whether <paramref name="path"/> belongs to the site rather than the API.</summary>
    public static bool Owns(string path) =>
        path is "/" or "/index.html" or "/docs" or "/openapi.json" || path.StartsWith("/console/", StringComparison.Ordinal);

    /// <summary>The answer for a site path: the file, or the API's JSON 404/405.</summary>
    public static IResult Serve(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (!Owns(path))
        {
            return NotFound(path);
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return JsonReply.Error(ErrorCodes.MethodNotAllowed, $"{path}不支持{request.Method}请求 (method {request.Method} not allowed)", StatusCodes.Status405MethodNotAllowed);
        }

        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        headers.CacheControl = "no-cache";
        if (path == "/openapi.json")
        {
            return Results.Bytes(Document.Value, "application/json; charset=utf-8");
        }

        var name = path switch
        {
            "/" or "/index.html" => "index.html",
            "/docs" => "docs.html",
            _ => path["/console/".Length..],
        };
        return Files.Value.TryGetValue(name, out var bytes)
            ? Results.Bytes(bytes, ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"))
            : NotFound(path);
    }

    private static JsonReply NotFound(string path) =>
        JsonReply.Error(ErrorCodes.RouteNotFound, $"路径{path}不存在 (no route {path})", StatusCodes.Status404NotFound);

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(StaticSite).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files[resource[ResourcePrefix.Length..]] = buffer.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The OpenAPI document as JSON (tests).</summary>
    public static JsonObject OpenApi() => OpenApiDocument.Build(RouteTable.Routes);
}
