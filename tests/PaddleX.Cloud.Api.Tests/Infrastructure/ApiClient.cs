using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

/// <summary>Calls the API the way its clients do: Python requests sends <c>json=</c> bodies with
/// every method (GET included); the original web client sends query strings on GET.</summary>
public sealed class ApiClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public HttpClient Http => http;

    /// <summary>Sends <paramref name="args"/> as a JSON body and expects HTTP 200.</summary>
    public async Task<JsonObject> CallAsync(HttpMethod method, string path, object? args = null)
    {
        var (status, body) = await SendAsync(method, path, args);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path} answered {(int)status}: {body}");
        return body;
    }

    public Task<JsonObject> GetAsync(string path, object? args = null) => CallAsync(HttpMethod.Get, path, args);

    public Task<JsonObject> PostAsync(string path, object? args = null) => CallAsync(HttpMethod.Post, path, args);

    public Task<JsonObject> PutAsync(string path, object? args = null) => CallAsync(HttpMethod.Put, path, args);

    public Task<JsonObject> DeleteAsync(string path, object? args = null) => CallAsync(HttpMethod.Delete, path, args);

    /// <summary>GET with a query string, as the original web client does.</summary>
    public async Task<JsonObject> GetQueryAsync(string pathAndQuery)
    {
        using var response = await http.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {pathAndQuery} answered {(int)response.StatusCode}: {text}");
        return Parse(text);
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpMethod method, string path, object? args)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (args is not null)
        {
            request.Content = new StringContent(args is string raw ? raw : JsonSerializer.Serialize(args), Encoding.UTF8, "application/json");
        }

        return await SendAsync(request);
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, Parse(text));
    }

    public void Dispose() => http.Dispose();

    private static JsonObject Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {text}");
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"not JSON: {text}");
        }
    }
}
