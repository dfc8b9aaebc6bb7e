using System.Globalization;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>A real import job in the cloud shape: API server (<c>--backend azure --worker false</c>),
/// worker processes and the emulators. Worker 1 gets SIGTERM mid-import and hands the job back;
/// worker 2 gets SIGKILL mid-import and its lease lapses; worker 3 finishes it: every source image
/// lands exactly once, nothing else, one dataset record. Heartbeats are checked along the way
/// through <c>GET /system</c>. Fails (never skips) without the emulators.</summary>
public sealed class WorkerLifecycleTests(ITestOutputHelper output) : CloudShapeTestBase("wl", TimeSpan.FromSeconds(60))
{
    private const int Classes = 4;
    private const int PerClass = 200;
    private const string SourcePrefix = "sources/cls";

    private IMetadataStore metadata = null!;
    private IArtifactStore artifacts = null!;

    protected override IReadOnlyDictionary<string, string> ExtraSettings { get; } = new Dictionary<string, string>
    {
        // A killed worker's lease must lapse quickly for the redelivery (renewed every second while alive).
        ["Jobs__LeaseDuration"] = "00:00:05",
        // Pace the copy (800 files × 25 ms over at most 8 threads ≥ 2.5 s) so each kill lands mid-import, whatever the machine's speed.
        ["Datasets__ThrottlePerFile"] = "00:00:00.025",
        ["Worker__HeartbeatInterval"] = "00:00:01",
        ["Worker__Concurrency"] = "1",
        ["Datasets__ProgressInterval"] = "00:00:00.100",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        metadata = Backends.CreateMetadataStore();
        artifacts = Backends.CreateArtifactStore();
    }

    [Fact]
    public async Task An_import_survives_SIGTERM_and_SIGKILL_of_its_workers_and_lands_exactly_once()
    {
        var (server, url) = StartServer();
        await server.WaitUntilAnswersAsync(Http, url + "/dataset", TimeSpan.FromSeconds(90));

        // No worker yet: the cloud reports no machine.
        var none = await MachineInfoAsync(url);
        Assert.Equal(0, none["gpu_num"]!.GetValue<int>());
        Assert.Equal(WorkerMachineInfoMessage, none["message"]!.GetValue<string>());
        Assert.Empty(none["workers"]!.AsArray());

        // The source: Classes × PerClass small BMPs under a blob prefix of the Tenant.
        var sources = new List<string>();
        for (var c = 0; c < Classes; c++)
        {
            for (var i = 0; i < PerClass; i++)
            {
                sources.Add($"class{c}/img_{c}_{i:D4}.bmp");
            }
        }

        await Parallel.ForEachAsync(sources, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (relative, ct) =>
        {
            using var content = new MemoryStream(TestImages.Bmp(48, 48, relative.GetHashCode(StringComparison.Ordinal)));
            await artifacts.WriteAsync($"{SourcePrefix}/{relative}", content, ct);
        });

        var worker1 = StartWorker().Process;
        await WaitForWorkerAsync(url, worker1);

        var did = (await SendAsync(HttpMethod.Post, url + "/dataset", new { name = "大数据集", desc = "kill test", dataset_type = "classification" }))["did"]!.GetValue<string>();
        await SendAsync(HttpMethod.Put, url + "/dataset", new { did, path = SourcePrefix });

        // 1. SIGTERM mid-import: the worker hands the job back (abandon) and exits cleanly; its heartbeat goes.
        var jobId = (await metadata.Datasets.GetAsync(did))!.State.JobId;
        await WaitForRunningJobAsync(url, worker1, jobId);
        var first = await WaitForCopyingAsync(did, after: DateTimeOffset.MinValue, worker1);
        await worker1.TerminateAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"worker 1 terminated at {first.Message} (last progress written), {(await artifacts.ListAsync((await metadata.Datasets.GetAsync(did))!.Path)).Count} files published");
        Assert.Equal(0, worker1.ExitCode);
        Assert.Contains("back to the queue on shutdown", worker1.Output, StringComparison.Ordinal);
        var handedBack = (await metadata.Datasets.GetAsync(did))!.State;
        Assert.Equal(first.JobId, handedBack.JobId); // still the job's, not failed
        Assert.NotEqual((int)DatasetStatus.XCOPYFAIL, handedBack.Status);
        Assert.NotEqual((int)DatasetStatus.XEMPTY, handedBack.Status);
        var gone = await MachineInfoAsync(url);
        Assert.Equal(WorkerMachineInfoMessage, gone["message"]!.GetValue<string>());
        Assert.Equal(0, gone["gpu_num"]!.GetValue<int>());

        // 2. SIGKILL mid-import: no settlement at all; the lease has to lapse. Best caught while it
        // publishes the imported files (part of them already in the dataset's blobs); failing that,
        // a moment after it took the job (downloading or copying).
        var worker2 = StartWorker().Process;
        var (second, published) = await WaitToKillAsync(did, worker2, sources.Count);
        Assert.Equal(first.JobId, second.JobId);
        Assert.Equal((int)DatasetStatus.XCOPYING, second.Status);
        await worker2.KillAsync();
        output.WriteLine($"worker 2 killed at {second.Message}, {published} of {sources.Count} images published");
        Assert.Contains("delivery 2", worker2.Output, StringComparison.Ordinal);
        Assert.Equal((int)DatasetStatus.XCOPYING, (await metadata.Datasets.GetAsync(did))!.State.Status);

        // 3. A new worker finishes it.
        var worker3 = StartWorker().Process;
        var done = await WaitForStatusAsync(did, s => s.Status is (int)DatasetStatus.XCOPYDONE or (int)DatasetStatus.XCOPYFAIL or (int)DatasetStatus.XCHECKFAIL, TimeSpan.FromSeconds(240), worker3);
        Assert.True(done.Status == (int)DatasetStatus.XCOPYDONE, $"status {done.Status}: {done.Message}\n{worker3.Output}");
        Assert.Contains("delivery 3", worker3.Output, StringComparison.Ordinal);
        var live = await MachineInfoAsync(url);
        Assert.Contains(live["workers"]!.AsArray(), w => w!["pid"]!.GetValue<int>() == worker3.Id);

        // Exactly the source images under the dataset's prefix, once each; nothing half-written elsewhere.
        var dataset = (await metadata.Datasets.GetAsync(did))!;
        var prefix = dataset.Path.TrimEnd('/');
        var blobs = (await artifacts.ListAsync(prefix)).Select(e => e.Path[(prefix.Length + 1)..]).ToList();
        var images = blobs.Where(p => p.EndsWith(".bmp", StringComparison.Ordinal)).ToList();
        Assert.Equal(sources.Order(StringComparer.Ordinal), images.Order(StringComparer.Ordinal));
        Assert.Equal(images.Count, images.Distinct(StringComparer.Ordinal).Count());
        var others = blobs.Except(images).ToList();
        output.WriteLine("other blobs: " + string.Join(", ", others));
        Assert.All(others, p => Assert.DoesNotContain(".upload", p, StringComparison.Ordinal));
        Assert.Contains(".paddlex/details.json", others);
        Assert.Empty(await artifacts.ListAsync("datasets/.staging"));

        // One dataset record, and its details count every image once.
        Assert.Single(await metadata.Datasets.ListAsync());
        var details = await SendAsync(HttpMethod.Get, url + "/dataset/details", new { did });
        var fileInfo = details["details"]!["file_info"]!.AsObject();
        Assert.Equal(sources.Order(StringComparer.Ordinal), fileInfo.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Null(await Backends.CreateStorageQueueJobQueue().ReceiveAsync(TimeSpan.FromSeconds(1)));
    }

    private const string WorkerMachineInfoMessage = PaddleX.Cloud.Api.Services.WorkerMachineInfo.NoWorkerMessage;

    private async Task<JsonObject> MachineInfoAsync(string url) =>
        (await SendAsync(HttpMethod.Get, url + "/system", new { type = "machine_info" }))["info"]!.AsObject();

    private async Task WaitForWorkerAsync(string url, ChildProcess worker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(worker.HasExited, worker.Output);
            var info = await MachineInfoAsync(url);
            var me = info["workers"]!.AsArray().FirstOrDefault(w => w!["pid"]!.GetValue<int>() == worker.Id);
            if (me is not null)
            {
                Assert.Equal(Environment.ProcessorCount, me["cpu_num"]!.GetValue<int>());
                Assert.True(info["cpu_num"]!.GetValue<int>() >= Environment.ProcessorCount);
                Assert.Equal(info["workers"]!.AsArray().Sum(w => w!["gpus"]!.AsArray().Count), info["gpu_num"]!.GetValue<int>());
                Assert.True(me["memory_total_mb"]!.GetValue<long>() > 0);
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("the worker's heartbeat never showed in GET /system:\n" + worker.Output);
    }

    private async Task WaitForRunningJobAsync(string url, ChildProcess worker, string jobId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var info = await MachineInfoAsync(url);
            var me = info["workers"]!.AsArray().FirstOrDefault(w => w!["pid"]!.GetValue<int>() == worker.Id);
            if (me?["running_jobs"]!.AsArray().Any(j => j!.GetValue<string>() == jobId) == true)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId} never showed in the heartbeat of worker {worker.Id}");
    }

    /// <summary>Polls until worker 2 is mid-import: some but not all images published under the
    /// dataset's prefix, or (fallback) 1.5 s after it logged taking the job. Fails if the import ends first.</summary>
    private async Task<(JobState State, int Published)> WaitToKillAsync(string did, ChildProcess worker, int total)
    {
        var prefix = (await metadata.Datasets.GetAsync(did))!.Path.TrimEnd('/');
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        DateTime? took = null;
        var leftover = -1;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(worker.HasExited, worker.Output);
            var state = (await metadata.Datasets.GetAsync(did))!.State;
            if (state.Status != (int)DatasetStatus.XCOPYING)
            {
                throw new InvalidOperationException($"import left XCOPYING ({state.Status}: {state.Message}) before the kill; make it bigger\n{worker.Output}");
            }

            // Worker 1 may have left part of a publish behind (SIGTERM while publishing): only a change after worker 2 took the job counts.
            var published = (await artifacts.ListAsync(prefix)).Count(e => e.Path.EndsWith(".bmp", StringComparison.Ordinal));
            if (took is not null && published > 0 && published < total && published != leftover)
            {
                return (state, published);
            }

            if (took is null && worker.Output.Contains("delivery 2", StringComparison.Ordinal))
            {
                took = DateTime.UtcNow;
                leftover = published;
            }

            if (took is not null && DateTime.UtcNow - took > TimeSpan.FromSeconds(1.5))
            {
                return (state, published);
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("worker 2 never took the job:\n" + worker.Output);
    }

    /// <summary>Waits until the import reports progress (XCOPYING) written after <paramref name="after"/>.</summary>
    private Task<JobState> WaitForCopyingAsync(string did, DateTimeOffset after, ChildProcess worker) =>
        WaitForStatusAsync(
            did,
            s => s.Status == (int)DatasetStatus.XCOPYING && DateTimeOffset.TryParse(s.UpdatedTime, CultureInfo.InvariantCulture, out var at) && at > after,
            TimeSpan.FromSeconds(180),
            worker,
            pollMs: 50);

    private async Task<JobState> WaitForStatusAsync(string did, Func<JobState, bool> done, TimeSpan timeout, ChildProcess worker, int pollMs = 200)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobState? state = null;
        while (DateTime.UtcNow < deadline)
        {
            state = (await metadata.Datasets.GetAsync(did))?.State;
            if (state is not null && done(state))
            {
                return state;
            }

            if (state is not null && state.Status is (int)DatasetStatus.XCOPYDONE or (int)DatasetStatus.XCOPYFAIL or (int)DatasetStatus.XCHECKFAIL)
            {
                throw new InvalidOperationException($"import ended ({state.Status}: {state.Message}) before the expected moment; make it bigger\n{worker.Output}");
            }

            Assert.False(worker.HasExited, worker.Output);
            await Task.Delay(pollMs);
        }

        throw new TimeoutException($"dataset {did} stayed at {state?.Status} ({state?.Message}):\n{worker.Output}");
    }
}
