using System.Collections.Concurrent;
using System.Diagnostics;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The server as its own process, killed with SIGKILL in the middle of a burst of creates.</summary>
public sealed class CrashSafetyTests
{
    [Fact]
    public async Task Every_acknowledged_create_survives_a_sigkill()
    {
        var workspace = TempFolder.Create("crash");
        var port = TestServer.FreePort();
        var acknowledged = new ConcurrentBag<string>();
        using (var server = StartServerProcess(workspace, port))
        {
            using var client = new ApiClient(new Uri($"http://127.0.0.1:{port}"));
            await WaitUntilUpAsync(client);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        var reply = await client.PostAsync("/dataset", new { name = $"w{w}-{i}", desc = "", dataset_type = "detection" });
                        acknowledged.Add(reply["did"]!.GetValue<string>());
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or Xunit.Sdk.XunitException or InvalidOperationException)
                    {
                        return; // the server died mid-request: that create was never acknowledged
                    }
                }
            })).ToList();
            await Task.Delay(TimeSpan.FromSeconds(2));
            server.Kill(entireProcessTree: true); // SIGKILL
            await server.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledged.Count > 20, $"only {acknowledged.Count} creates before the kill");
        await using var restarted = await TestServer.StartAsync(workspace);
        var listed = Expect.Ok(await restarted.Client.GetAsync("/dataset"))["datasets"]!.AsArray()
            .Select(d => d!["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var lost = acknowledged.Where(id => !listed.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"lost {lost.Count} of {acknowledged.Count} acknowledged creates: {string.Join(", ", lost.Take(10))}");
        Assert.Equal(acknowledged.Count, acknowledged.Distinct().Count());
        var next = Expect.Ok(await restarted.Client.PostAsync("/dataset", new { name = "after", dataset_type = "detection" }))["did"]!.GetValue<string>();
        Assert.DoesNotContain(next, listed);
    }

    private static Process StartServerProcess(string workspace, int port)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "PaddleX.Cloud.Server.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--workspace_dir", workspace },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilUpAsync(ApiClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await client.GetQueryAsync("/workspace");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
