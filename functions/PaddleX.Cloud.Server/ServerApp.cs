using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Api;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Azure;
using PaddleX.Cloud.Worker.Hosting;
using PaddleX.Cloud.ServiceDefaults;

namespace PaddleX.Cloud.Server;

/// <summary>The embedded default: Kestrel serving the API's route table, the workspace folder as
/// metadata and artifact store, and the job worker in the same process.</summary>
public static class ServerApp
{
    public const int DefaultPort = 8080;

    public static WebApplication Build(string[] args) => Build(args, null);

    /// <summary>As <see cref="Build(string[])"/>, with configuration <paramref name="settings"/> applied
    /// over the command line (hosts and tests: e.g. <c>Jobs:Queue</c>, which has no option).</summary>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(CommandLine.Parse(args));
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var configuration = builder.Configuration;
        if (!configuration.GetSection("Api:AllowedOrigins").GetChildren().Any())
        {
            // The local server answers any origin, as the original does (its web client is opened from a file or another port).
            configuration.AddInMemoryCollection([new("Api:AllowedOrigins:0", Api.ApiOptions.AnyOrigin)]);
        }

        var workspace = Path.GetFullPath(configuration["Workspace"]
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "paddlex_workspace"));
        PrepareWorkspace(workspace);

        var host = configuration["Server:Host"] ?? "127.0.0.1";
        var port = configuration.GetValue("Server:Port", DefaultPort);
        builder.WebHost.UseUrls($"http://{(host is "0.0.0.0" ? "*" : host)}:{port}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Each request gets its route's body limit before its body is read; this is only the ceiling.
            k.Limits.MaxRequestBodySize = Datasets.DatasetOptions.MaxUploadBytes;
            // Let long request lines reach the dispatcher, which answers 414 with the JSON shape.
            k.Limits.MaxRequestLineSize = 8 * ApiDispatcher.MaxTargetLength;
            k.ConfigureEndpointDefaults(listen => listen.Use(ProtocolErrorBodies.Use));
        });

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddConfiguredBackends(configuration, workspace);
        builder.Services.AddPaddleXTelemetry(configuration, "paddlex-server");
        builder.Services.AddPaddleXApi(configuration);
        if (configuration.GetValue("Worker:Enabled", true))
        {
            builder.Services.AddJobWorker(configuration);
        }

        var app = builder.Build();
        // The dispatcher is resolved on the first request, after the settings were checked at start (the stores need them).
        app.Run(context => Api.Site.StaticSite.Owns(context.Request.Path.Value ?? "/")
            ? Api.Site.StaticSite.Serve(context).ExecuteAsync(context)
            : context.RequestServices.GetRequiredService<ApiDispatcher>().HandleAsync(context));
        return app;
    }

    /// <summary>As the original: a missing workspace folder is created; a plain file in its place is refused.</summary>
    private static void PrepareWorkspace(string workspace)
    {
        if (File.Exists(workspace))
        {
            throw new IOException($"--workspace_dir {workspace} is a file, not a folder");
        }

        Directory.CreateDirectory(workspace);
    }
}
