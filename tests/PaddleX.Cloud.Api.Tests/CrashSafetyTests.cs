using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The server as its own process, killed with SIGKILL in the middle of a burst of creates.</summary>
public sealed class CrashSafetyTests
{
    [Fact]
    public async Task Every_acknowledged_create_survives_a_sigkill()
    {
        var workspace = TempFolder.Create("crash");
        var port = Network.FreePort();
        var acknowledged = new ConcurrentBag<string>();
        var failedBeforeKill = new ConcurrentQueue<string>();
        var killed = 0;
        using (var server = ServerProcess.Start(workspace, port))
        {
            var client = server.Client;
            await server.WaitUntilUpAsync();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    JsonObject reply;
                    try
                    {
                        reply = await client.PostAsync("/dataset", new { name = $"w{w}-{i}", desc = "", dataset_type = "detection" });
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        if (Volatile.Read(ref killed) == 0)
                        {
                            failedBeforeKill.Enqueue($"w{w}-{i}: {e.Message}");
                        }

                        return; // after the kill: the server died mid-request and that create was never acknowledged
                    }

                    if (reply["status"]?.GetValue<int>() == 1 && reply["did"]?.GetValue<string>() is { } did)
                    {
                        acknowledged.Add(did);
                    }
                    else if (Volatile.Read(ref killed) == 0)
                    {
                        failedBeforeKill.Enqueue($"w{w}-{i}: {reply.ToJsonString()}");
                    }
                }
            })).ToList();
            await Task.Delay(TimeSpan.FromSeconds(2));
            Volatile.Write(ref killed, 1); // set first: every failure seen while it was 0 happened before the kill
            server.Kill(); // SIGKILL
            await server.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(failedBeforeKill.IsEmpty, $"requests failed before the kill: {string.Join("; ", failedBeforeKill.Take(5))}");
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

    [Fact]
    public async Task A_training_killed_mid_run_resumes_from_its_newest_checkpoint_after_restart()
    {
        var workspace = TempFolder.Create("crash-train");
        var port = Network.FreePort();
        string tid;
        int savedBeforeKill;
        using (var server = ServerProcess.Start(workspace, port))
        {
            var client = server.Client;
            await server.WaitUntilUpAsync();
            var source = ShapesDataset.Write(Path.Combine(workspace, "import", "shapes"), 12);
            var did = Expect.Ok(await client.PostAsync("/dataset", new { name = "shapes", dataset_type = "classification" }))["did"]!.GetValue<string>();
            Expect.Ok(await client.PutAsync("/dataset", new { did, path = source }));
            await Polling.WaitUntilAsync(async () => (await client.GetAsync("/dataset", new { did }))["dataset_status"]!.GetValue<int>() == 4, TimeSpan.FromMinutes(2));
            Expect.Ok(await client.PutAsync("/dataset/split", new { did, val_split = 0.25, test_split = 0.0, seed = 2 }));
            var pid = Expect.Ok(await client.PostAsync("/project", new { name = "p", project_type = "classification" }))["pid"]!.GetValue<string>();
            Expect.Ok(await client.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
            var train = new { model = "ResNet18", image_shape = new[] { 32, 32 }, batch_size = 8, num_epochs = 8, learning_rate = 0.02, pretrain_weights = "", save_interval_epochs = 1 };
            tid = Expect.Ok(await client.PostAsync("/project/task", new { pid, train = System.Text.Json.JsonSerializer.Serialize(train) }))["tid"]!.GetValue<string>();
            Expect.Ok(await client.PostAsync("/project/task/train", new { tid }));
            await Polling.WaitUntilAsync(async () => (await client.GetAsync("/project/task", new { tid, resume = 1 }))["max_saved_epochs"]!.GetValue<int>() >= 2, TimeSpan.FromMinutes(4));
            savedBeforeKill = (await client.GetAsync("/project/task", new { tid, resume = 1 }))["max_saved_epochs"]!.GetValue<int>();
            server.Kill(); // SIGKILL mid-training
            await server.WaitForExitAsync();
        }

        await using var restarted = await TestServer.StartAsync(workspace);
        await Polling.WaitUntilAsync(async () => (await restarted.Client.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>() is 4 or 10, TimeSpan.FromMinutes(5));
        Assert.Equal(4, (await restarted.Client.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>());
        var resume = await restarted.Client.GetAsync("/project/task", new { tid, resume = 1 });
        Assert.Equal(8, resume["max_saved_epochs"]!.GetValue<int>());
        var log = await File.ReadAllTextAsync(Path.Combine(workspace, "projects", "P0001", tid, "out.log"));
        var resumedFrom = System.Text.RegularExpressions.Regex.Match(log, @"Resume training from .*epoch_(\d+)");
        Assert.True(resumedFrom.Success, "the redelivered job did not resume from a checkpoint");
        Assert.True(int.Parse(resumedFrom.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= savedBeforeKill, "more than the current epoch was lost");
    }
}
