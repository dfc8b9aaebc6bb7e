using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;

namespace PaddleX.Cloud.Api.Tests.Infrastructure;

/// <summary>The real server (Kestrel, handlers, in-process worker) on a free loopback port over a
/// temporary workspace folder.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private WebApplication? app;

    private TestServer(string workspace, int port, string[] extraArgs)
    {
        Workspace = workspace;
        Port = port;
        ExtraArgs = extraArgs;
        Client = new ApiClient(new Uri($"http://127.0.0.1:{port}"));
    }

    public string Workspace { get; }

    public int Port { get; }

    public ApiClient Client { get; }

    private string[] ExtraArgs { get; }

    public static async Task<TestServer> StartAsync(string? workspace = null, params string[] extraArgs)
    {
        var server = new TestServer(workspace ?? TempFolder.Create("ws"), FreePort(), extraArgs);
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StartAppAsync()
    {
        app = PaddleX.Cloud.Server.ServerApp.Build(["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--workspace_dir", Workspace, .. ExtraArgs]);
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
