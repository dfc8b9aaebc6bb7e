using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using PaddleX.Cloud.Server;

namespace PaddleX.Cloud.Datasets.Tests;

/// <summary>The real server on a free loopback port, with a workspace and one import root.</summary>
public class ServerFixture : IAsyncLifetime
{
    private WebApplication? app;

    public string Workspace { get; } = Generate.TempDir();

    public string ImportRoot { get; } = Generate.TempDir();

    public HttpClient Client { get; private set; } = null!;

    protected virtual string[] ExtraArgs => [];

    public async Task InitializeAsync()
    {
        var port = Network.FreePort();
        // Local on purpose, whatever cloud-store settings the emulators exported.
        var localOnly = PaddleX.Cloud.Azure.BackendOptions.CloudStoreKeys.Select(key => new KeyValuePair<string, string?>(key, string.Empty));
        app = ServerApp.Build(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--workspace_dir", Workspace, "--import_roots", ImportRoot, .. ExtraArgs], localOnly);
        await app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async Task<JsonObject> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public Task<JsonObject> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery);

    public async Task<string> CreateDatasetAsync(string type)
    {
        var created = await SendAsync(HttpMethod.Post, "/dataset", new { name = "ds", desc = "test", dataset_type = type });
        Assert.Equal(1, (int)created["status"]!);
        return (string)created["did"]!;
    }

    public async Task<JsonObject> ImportAsync(string did, string path)
    {
        var answer = await SendAsync(HttpMethod.Put, "/dataset", new { did, path });
        Assert.True((int)answer["status"]! == 1, answer.ToJsonString());
        return await WaitAsync(did);
    }

    /// <summary>Polls GET /dataset until the import is no longer checking or copying.</summary>
    public async Task<JsonObject> WaitAsync(string did)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var state = await GetAsync($"/dataset?did={did}");
            var status = (int)state["dataset_status"]!;
            if (status is not (1 or 3))
            {
                return state;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "import did not finish: " + state.ToJsonString());
            await Task.Delay(50);
        }
    }

    public string DatasetDir(string did) => Path.Combine(Workspace, "datasets", did);
}

public sealed class NoWorkerServerFixture : ServerFixture
{
    protected override string[] ExtraArgs => ["--worker", "false"];
}
