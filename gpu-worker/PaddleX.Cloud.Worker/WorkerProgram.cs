using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Azure;
using PaddleX.Cloud.Worker.Hosting;
using PaddleX.Cloud.ServiceDefaults;

namespace PaddleX.Cloud.Worker;

/// <summary>The worker as its own process: consumes the job queue of the configured backend and
/// answers <c>/health</c> for container probes. <c>--backend azure</c> (or the environment variable
/// <c>Backend=azure</c>) picks the Azure backends; the default is the local workspace folder
/// (<c>--workspace_dir</c>). Settings that do not fit the backend stop it at start.</summary>
internal static class WorkerProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var workspace = builder.Configuration["Workspace"] ?? builder.Configuration["workspace_dir"]
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "paddlex_workspace");
        builder.Services.AddConfiguredBackends(builder.Configuration, workspace);
        builder.Services.AddPaddleXTelemetry(builder.Configuration, "paddlex-worker");
        builder.Services.AddJobWorker(builder.Configuration);
        if (!HasListenAddress(builder.Configuration))
        {
            builder.WebHost.UseUrls(LocalDefaultUrl);
        }

        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok(new { status = "healthy" }));
        return await app.RunOrExplainAsync();
    }

    /// <summary>Where a worker started with no address setting listens: loopback only, off the server's 8080.</summary>
    internal const string LocalDefaultUrl = "http://127.0.0.1:8081";

    /// <summary>Kestrel's own address settings (<c>--urls</c>, <c>ASPNETCORE_URLS</c>,
    /// <c>ASPNETCORE_HTTP_PORTS</c>, which the container image sets) win; overriding them would leave
    /// the container's probes without an answer.</summary>
    private static bool HasListenAddress(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        new[] { "urls", "http_ports", "https_ports" }.Any(key => !string.IsNullOrWhiteSpace(configuration[key]));
}
