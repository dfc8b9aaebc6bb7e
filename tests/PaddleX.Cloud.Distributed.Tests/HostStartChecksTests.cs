using System.Globalization;
using PaddleX.Cloud.Azure;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>The server and the worker refuse to start, with a message saying what to change, when
/// their backend does not fit their settings: local beside cloud-store settings (a worker that forgot
/// <c>--backend azure</c> would poll a local queue nobody writes to) or azure without usable settings.
/// No emulator is needed: the hosts stop before they connect to anything.</summary>
public sealed class HostStartChecksTests : IDisposable
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    private readonly string workspace = Directory.CreateTempSubdirectory("paddlex-start-").FullName;

    /// <summary>What docs/cloud-on-one-machine.md exports for the emulators (the values are never contacted).</summary>
    private static Dictionary<string, string> CloudSettings() => new()
    {
        ["Cosmos__Endpoint"] = "http://127.0.0.1:9/",
        ["Storage__ConnectionString"] = "UseDevelopmentStorage=true",
        ["Jobs__Transport"] = "StorageQueue",
        ["Jobs__ConnectionString"] = "UseDevelopmentStorage=true",
    };

    /// <summary>Every cloud-store setting blank and the default transport, whatever the test run's environment holds.</summary>
    private static Dictionary<string, string> NoCloudSettings()
    {
        var settings = BackendOptions.CloudStoreKeys.ToDictionary(key => key.Replace(":", "__", StringComparison.Ordinal), _ => string.Empty);
        settings["Jobs__Transport"] = nameof(JobTransport.ServiceBus);
        return settings;
    }

    [Fact]
    public async Task A_worker_without_backend_azure_beside_cloud_settings_stops_and_says_so()
    {
        var output = await RunUntilExitAsync("gpu-worker", "PaddleX.Cloud.Worker", ["--workspace_dir", workspace, "--urls", FreeUrl()], CloudSettings());
        Assert.Contains("--backend azure", output, StringComparison.Ordinal);
        Assert.Contains("Cosmos:Endpoint", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // a sentence, not a stack trace
    }

    [Fact]
    public async Task A_server_on_the_local_backend_beside_cloud_settings_stops_and_says_so()
    {
        var output = await RunUntilExitAsync("functions", "PaddleX.Cloud.Server", ["--backend", "local", "--workspace_dir", workspace, "--port", FreePort()], CloudSettings());
        Assert.Contains("--backend azure", output, StringComparison.Ordinal);
        Assert.Contains("Jobs:ConnectionString", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_on_azure_without_usable_settings_stops_and_names_them()
    {
        var output = await RunUntilExitAsync("gpu-worker", "PaddleX.Cloud.Worker", ["--backend", "azure", "--workspace_dir", workspace, "--urls", FreeUrl()], NoCloudSettings());
        Assert.Contains("Cosmos:ConnectionString or Cosmos:Endpoint", output, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString or Storage:BlobEndpoint", output, StringComparison.Ordinal);
        Assert.Contains("Jobs:ConnectionString or Jobs:Namespace", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    private static string FreePort() => Network.FreePort().ToString(CultureInfo.InvariantCulture);

    private static string FreeUrl() => "http://127.0.0.1:" + FreePort();

    private static async Task<string> RunUntilExitAsync(string folder, string project, string[] args, Dictionary<string, string> environment)
    {
        await using var process = ChildProcess.Start(folder, project, args, environment);
        Assert.True(await process.WaitForExitAsync(ExitWithin), $"{project} kept running:\n{process.Output}");
        Assert.Equal(2, process.ExitCode);
        return process.Output;
    }
}
