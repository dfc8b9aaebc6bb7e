using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Azure;
using PaddleX.Cloud.Worker.Hosting;

namespace PaddleX.Cloud.Worker;

/// <summary>The worker as its own process: consumes the job queue of the configured backend and
/// answers <c>/health</c> for container probes. <c>Backend</c> (<c>--Backend azure</c> or the
/// environment variable <c>Backend=azure</c>) picks the Azure backends; the default is the local
/// workspace folder.</summary>
internal static class WorkerProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var workspace = builder.Configuration["Workspace"] ?? builder.Configuration["workspace_dir"]
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "paddlex_workspace");
        builder.Services.AddConfiguredBackends(builder.Configuration, workspace);
        builder.Services.AddJobWorker(builder.Configuration);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://127.0.0.1:8081");
        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok(new { status = "healthy" }));
        await app.RunAsync();
        return 0;
    }
}
