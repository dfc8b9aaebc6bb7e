using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>The cloud shape on one machine: two API server processes with <c>--backend azure
/// --worker false</c> (as two Functions instances would be) and a separate worker process, all over
/// the emulators that tests/emulators/start.sh started. Fails (never skips) without them.</summary>
public sealed class DistributedTests() : CloudShapeTestBase("e2e", TimeSpan.FromSeconds(30))
{
    [Fact]
    public async Task Two_api_instances_and_a_separate_worker_share_the_cloud_backends()
    {
        var (serverA, urlA) = StartServer();
        var (serverB, urlB) = StartServer();
        var (worker, workerUrl) = StartWorker();

        await serverA.WaitUntilAnswersAsync(Http, urlA + "/dataset", TimeSpan.FromSeconds(60));
        await serverB.WaitUntilAnswersAsync(Http, urlB + "/dataset", TimeSpan.FromSeconds(60));
        await worker.WaitUntilAnswersAsync(Http, workerUrl + "/health", TimeSpan.FromSeconds(60));

        // Creates through both instances at once: one id sequence, no collisions.
        var replies = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await Http.PostAsJsonAsync(new Uri((i % 2 == 0 ? urlA : urlB) + "/dataset"), new { name = $"数据集{i}", desc = "分布式", dataset_type = "classification" });
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }));
        Assert.All(replies, r => Assert.Equal(1, r["status"]!.GetValue<int>()));
        var ids = replies.Select(r => r["did"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(n => $"D{n:D4}"), ids);

        // What one instance wrote, the other reads.
        var listed = JsonNode.Parse(await Http.GetStringAsync(new Uri(urlB + "/dataset")))!;
        Assert.Equal(12, listed["datasets"]!.AsArray().Count);
        Assert.Contains(listed["datasets"]!.AsArray(), d => d!["attr"]!["name"]!.GetValue<string>() == "数据集0");

        // Projects and tasks through one instance, read and deleted through the other.
        var pid = (await SendAsync(HttpMethod.Post, urlA + "/project", new { name = "项目", desc = "d", project_type = "classification" }))["pid"]!.GetValue<string>();
        Assert.Equal("P0001", pid);
        await SendAsync(HttpMethod.Put, urlB + "/workspace", new { @struct = "project", id = pid, attr_dict = new { did = "D0001" } });
        var tid = (await SendAsync(HttpMethod.Post, urlA + "/project/task", new { pid, train = "{\"num_epochs\": 3}" }))["tid"]!.GetValue<string>();
        Assert.Equal("T0001", tid);
        var train = (await SendAsync(HttpMethod.Get, urlB + "/project/task/params", new { tid }))["train"]!;
        Assert.Equal(3, train["num_epochs"]!.GetValue<int>());
        await SendAsync(HttpMethod.Delete, urlB + "/project", new { pid });
        var gone = await SendAsync(HttpMethod.Get, urlA + "/project/task", new { tid }, expectOk: false);
        Assert.Equal(-1, gone["status"]!.GetValue<int>());

        // A job enqueued by the API side reaches the separate worker over the cloud queue. A kind with
        // no handler is dead-lettered by the worker with its reason: proof it was received and settled.
        var queue = Backends.CreateStorageQueueJobQueue();
        var job = JobMessageFactory.Create("no-such-kind", Tenant, "D0001");
        await queue.EnqueueAsync(job);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        IReadOnlyList<(JobMessage Message, string Reason)> dead = [];
        while (DateTime.UtcNow < deadline)
        {
            dead = await queue.DeadLettersAsync();
            if (dead.Any(d => d.Message.JobId == job.JobId))
            {
                break;
            }

            await Task.Delay(300);
        }

        var entry = Assert.Single(dead, d => d.Message.JobId == job.JobId);
        Assert.Contains("no-such-kind", entry.Reason, StringComparison.Ordinal);
        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(1)));
        Assert.False(worker.HasExited, worker.Output);
    }
}
