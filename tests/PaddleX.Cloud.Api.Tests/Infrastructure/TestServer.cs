using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

/// <summary>The real server (Kestrel, handlers, in-process worker) on a free loopback port over a
/// temporary workspace folder.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private WebApplication? app;

    private TestServer(string workspace, int port, string[] extraArgs, IReadOnlyList<KeyValuePair<string, string?>>? settings = null)
    {
        Workspace = workspace;
        Port = port;
        ExtraArgs = extraArgs;
        Settings = settings;
        Client = new ApiClient(new Uri($"http://127.0.0.1:{port}"));
    }

    public string Workspace { get; }

    public int Port { get; }

    public ApiClient Client { get; }

    /// <summary>True for a server on the Azure backends (emulators), with its own tenant and job queue.</summary>
    public bool Azure => Settings is not null;

    /// <summary>The tenant of an Azure-backed server.</summary>
    public string? Tenant { get; private set; }

    /// <summary>The running server's DI container (its IMetadataStore, IArtifactStore, ...).</summary>
    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("not running");

    private string[] ExtraArgs { get; }

    private IReadOnlyList<KeyValuePair<string, string?>>? Settings { get; }

    /// <summary>The variables tests/emulators/start.sh exports; an Azure-mode test fails without them.</summary>
    public static readonly string[] EmulatorVariables = ["PADDLEX_EMULATORS", "Cosmos__ConnectionString", "Storage__ConnectionString", "Jobs__ConnectionString"];

    /// <summary>The real server with <c>--backend azure</c> over the emulators (environment from
    /// tests/emulators/start.sh), a fresh <c>--tenant</c> and its own Storage queue, so tests never
    /// share a workspace or a job. Throws (the test fails, never skips) without the emulators.</summary>
    public static async Task<TestServer> StartAzureAsync(params string[] extraArgs)
    {
        var missing = EmulatorVariables.Where(name => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "Azure-mode API test without emulators: " + string.Join(", ", missing) + " not set. "
                + "Run eval \"$(tests/emulators/start.sh)\" first (tests/emulators/stop.sh afterwards), or ./test.sh.");
        }

        var tenant = "api" + Guid.NewGuid().ToString("N")[..12];
        var settings = new List<KeyValuePair<string, string?>>
        {
            new("Jobs:Transport", "StorageQueue"),
            new("Jobs:Queue", "jobs-api-" + Guid.NewGuid().ToString("N")[..12]),
            new("Jobs:PollInterval", "00:00:00.200"),
            new("Cosmos:EnsureCreated", "true"),
            new("Cosmos:LimitToEndpoint", "true"),
            new("Storage:EnsureCreated", "true"),
        };
        var server = new TestServer(TempFolder.Create("ws"), Network.FreePort(), ["--backend", "azure", "--tenant", tenant, .. extraArgs], settings) { Tenant = tenant };
        await server.StartAppAsync();
        return server;
    }

    public static async Task<TestServer> StartAsync(string? workspace = null, params string[] extraArgs)
    {
        var server = new TestServer(workspace ?? TempFolder.Create("ws"), Network.FreePort(), extraArgs);
        await server.StartAppAsync();
        return server;
    }

    /// <summary>Stops the server and starts a new one over the same workspace and port.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await StartAppAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        Client.Dispose();
    }


    /// <summary>Blanks the cloud-store settings tests/emulators/start.sh exports, so a local server
    /// started beside them is local on purpose (it refuses to start while they name cloud stores).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string?>> LocalOnly =
        PaddleX.Cloud.Azure.BackendOptions.CloudStoreKeys.Select(key => new KeyValuePair<string, string?>(key, string.Empty)).ToList();

    private async Task StartAppAsync()
    {
        app = PaddleX.Cloud.Server.ServerApp.Build(["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--workspace_dir", Workspace, .. ExtraArgs], Settings ?? LocalOnly);
        await app.StartAsync();
    }

    private async Task StopAppAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }
    }
}
