using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Worker.Hosting;

namespace PaddleX.Cloud.Worker.Tests;

public sealed class JobRunnerTests : IDisposable
{
    private readonly string workspace = Path.Combine(Path.GetTempPath(), "paddlex-tests", "runner-" + Guid.NewGuid().ToString("N"));
    private readonly LocalMetadataStore metadata;
    private readonly LocalJobQueue queue;
    private readonly ProbeJobHandler probe;

    public JobRunnerTests()
    {
        metadata = new LocalMetadataStore(workspace);
        queue = new LocalJobQueue(workspace) { MaxDeliveryCount = 10 };
        probe = new ProbeJobHandler(metadata);
    }

    public void Dispose() => queue.Dispose();

    [Fact]
    public async Task A_job_runs_on_its_handler_and_is_completed()
    {
        var message = await EnqueueAsync("ok");
        using var runner = await StartAsync();
        await WaitForAsync(async () => (await metadata.Datasets.GetAsync(message.TargetId))!.State.Status == (int)DatasetStatus.XCOPYDONE);
        await WaitForAsync(() => Task.FromResult(queue.PendingIds().Count == 0));
        Assert.Equal(1, probe.Runs);
    }

    [Fact]
    public async Task Unknown_kinds_are_dead_lettered_with_the_reason()
    {
        var message = JobMessageFactory.Create("teleport", "local", "D0001");
        await queue.EnqueueAsync(message);
        using var runner = await StartAsync();
        await WaitForAsync(() => Task.FromResult(queue.DeadLetters().Count == 1));
        Assert.Contains("teleport", queue.DeadLetters()[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_faulting_job_is_retried_then_dead_lettered_and_the_reason_recorded()
    {
        var message = await EnqueueAsync("fault");
        using var runner = await StartAsync(maxDeliveries: 3);
        await WaitForAsync(() => Task.FromResult(queue.DeadLetters().Count == 1));
        Assert.Equal(3, probe.Runs);
        Assert.Contains("probe fault", probe.DeadLetterReason, StringComparison.Ordinal);
        var state = (await metadata.Datasets.GetAsync(message.TargetId))!.State;
        Assert.Equal((int)DatasetStatus.XCOPYFAIL, state.Status);
    }

    [Fact]
    public async Task Setting_cancel_requested_stops_a_running_job_within_seconds()
    {
        var message = await EnqueueAsync("wait");
        using var runner = await StartAsync();
        await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await metadata.Datasets.UpdateAsync(message.TargetId, d => d.State.CancelRequested = true);
        await WaitForAsync(async () => (await metadata.Datasets.GetAsync(message.TargetId))!.State.Message == "stopped", TimeSpan.FromSeconds(5));
        await WaitForAsync(() => Task.FromResult(queue.PendingIds().Count == 0));
    }

    [Fact]
    public async Task Shutdown_hands_the_job_back_and_a_new_queue_delivers_it_again()
    {
        var message = await EnqueueAsync("wait");
        var runner = await StartAsync();
        await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await runner.StopAsync(CancellationToken.None);
        runner.Dispose();
        Assert.Equal([message.JobId], queue.PendingIds());

        using var reopened = new LocalJobQueue(workspace);
        var lease = await reopened.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        Assert.Equal(message.JobId, lease.Message.JobId);
        Assert.Equal(2, lease.DeliveryCount);
    }

    [Fact]
    public async Task A_stale_or_duplicate_delivery_does_no_work()
    {
        var message = await EnqueueAsync("ok");
        await metadata.Datasets.UpdateAsync(message.TargetId, d => d.State.JobId = "someone-else");
        using var runner = await StartAsync();
        await WaitForAsync(() => Task.FromResult(queue.PendingIds().Count == 0));
        Assert.Equal(0, probe.Runs);
    }

    private async Task<JobMessage> EnqueueAsync(string what)
    {
        var dataset = await metadata.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "probe", Type = "classification" });
        var message = JobMessageFactory.Create(ProbeJobHandler.ProbeKind, "local", dataset.Id, what);
        await metadata.Datasets.UpdateAsync(dataset.Id, d => d.State = new JobState { Status = (int)DatasetStatus.XCHECKING, JobId = message.JobId });
        await queue.EnqueueAsync(message);
        return message;
    }

    private async Task<JobRunner> StartAsync(int maxDeliveries = 5)
    {
        var options = new WorkerOptions { MaxDeliveryCount = maxDeliveries, CancelCheckInterval = TimeSpan.FromMilliseconds(200) };
        var runner = new JobRunner(queue, [probe], new ServiceCollection().BuildServiceProvider(), options, NullLogger<JobRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        return runner;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
