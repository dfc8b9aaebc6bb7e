using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Worker.Hosting;

namespace PaddleX.Cloud.Worker.Tests;

public sealed class JobRunnerTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(50);

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
        await Polling.WaitUntilAsync(async () => (await metadata.Datasets.GetAsync(message.TargetId))!.State.Status == (int)DatasetStatus.XCOPYDONE, Within, Every);
        await Polling.WaitUntilAsync(() => Task.FromResult(queue.PendingIds().Count == 0), Within, Every);
        Assert.Equal(1, probe.Runs);
    }

    [Fact]
    public async Task Unknown_kinds_are_dead_lettered_with_the_reason()
    {
        var message = JobMessageFactory.Create("teleport", "local", "D0001");
        await queue.EnqueueAsync(message);
        using var runner = await StartAsync();
        await Polling.WaitUntilAsync(() => Task.FromResult(queue.DeadLetters().Count == 1), Within, Every);
        Assert.Contains("teleport", queue.DeadLetters()[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_faulting_job_is_retried_then_dead_lettered_and_the_reason_recorded()
    {
        var message = await EnqueueAsync("fault");
        using var runner = await StartAsync(maxDeliveries: 3);
        await Polling.WaitUntilAsync(() => Task.FromResult(queue.DeadLetters().Count == 1), Within, Every);
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
        await Polling.WaitUntilAsync(async () => (await metadata.Datasets.GetAsync(message.TargetId))!.State.Message == "stopped", TimeSpan.FromSeconds(5), Every);
        await Polling.WaitUntilAsync(() => Task.FromResult(queue.PendingIds().Count == 0), Within, Every);
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
        await Polling.WaitUntilAsync(() => Task.FromResult(queue.PendingIds().Count == 0), Within, Every);
        Assert.Equal(0, probe.Runs);
    }

    [Fact]
    public async Task Shutdowns_hand_the_job_back_without_counting_as_faults()
    {
        // Deployed, every scale-in and new revision stops replicas: three stops must not use up a limit of two faults.
        using var strict = new LocalJobQueue(Path.Combine(workspace, "strict")) { MaxDeliveryCount = 2 };
        var message = await EnqueueAsync("wait", strict);
        for (var stop = 1; stop <= 3; stop++)
        {
            var runner = await StartAsync(maxDeliveries: 2, on: strict);
            await Polling.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref probe.Runs) == stop), Within, Every);
            await runner.StopAsync(CancellationToken.None);
            runner.Dispose();
        }

        using var last = await StartAsync(maxDeliveries: 2, on: strict);
        await Polling.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref probe.Runs) == 4), Within, Every);
        Assert.Empty(strict.DeadLetters());
        await metadata.Datasets.UpdateAsync(message.TargetId, d => d.State.CancelRequested = true);
        await Polling.WaitUntilAsync(() => Task.FromResult(strict.PendingIds().Count == 0), Within, Every);
        Assert.Equal("stopped", (await metadata.Datasets.GetAsync(message.TargetId))!.State.Message);
    }

    [Fact]
    public async Task A_job_the_queue_dead_letters_on_its_own_is_recorded_as_failed_on_its_target()
    {
        using var lapsing = new LocalJobQueue(Path.Combine(workspace, "lapsing"), TimeSpan.FromSeconds(1)) { MaxDeliveryCount = 1 };
        var message = await EnqueueAsync("ok", lapsing);

        // A worker takes the job and dies; the queue then dead-letters it by itself, no worker involved.
        Assert.NotNull(await lapsing.ReceiveAsync(TimeSpan.FromSeconds(5)));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Null(await lapsing.ReceiveAsync(TimeSpan.FromSeconds(1)));
        Assert.Single(lapsing.DeadLetters());
        Assert.Equal((int)DatasetStatus.XCHECKING, (await metadata.Datasets.GetAsync(message.TargetId))!.State.Status);

        var reconciler = new DeadLetterReconciler(new DeadLetterSweep(lapsing, [probe], NullLogger<DeadLetterSweep>.Instance), new WorkerOptions(), NullLogger<DeadLetterReconciler>.Instance);
        Assert.Equal(1, await reconciler.SweepAsync(CancellationToken.None));
        var state = (await metadata.Datasets.GetAsync(message.TargetId))!.State;
        Assert.Equal((int)DatasetStatus.XCOPYFAIL, state.Status);
        Assert.Contains("delivered 1 times without completing", state.Message, StringComparison.Ordinal);

        // Idempotent, and a target that moved on to another job is left alone.
        Assert.Equal(0, await reconciler.SweepAsync(CancellationToken.None));
        Assert.Equal(0, probe.Runs);
    }

    [Fact]
    public async Task The_lease_is_renewed_by_its_duration_not_on_every_cancel_check()
    {
        using var leased = new LocalJobQueue(Path.Combine(workspace, "leased"), TimeSpan.FromSeconds(6));
        var counting = new CountingQueue(leased);
        var message = await EnqueueAsync("wait", leased);
        using var runner = await StartAsync(on: counting);
        await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var renewals = counting.Renewals;
        await metadata.Datasets.UpdateAsync(message.TargetId, d => d.State.CancelRequested = true);
        await Polling.WaitUntilAsync(() => Task.FromResult(leased.PendingIds().Count == 0), Within, Every);

        // Every 2 s (a third of the lease): about 2 in 5 s, where a renewal per cancel check (200 ms) would make about 25.
        Assert.InRange(renewals, 1, 5);
        Assert.Equal(1, probe.Runs); // the lease never lapsed
    }

    [Fact]
    public async Task A_run_whose_job_a_later_delivery_claimed_stops_without_writing_or_settling()
    {
        var message = await EnqueueAsync("wait");
        using var runner = await StartAsync();
        await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, (await metadata.Datasets.GetAsync(message.TargetId))!.State.Delivery); // claimed by delivery 1

        // What another worker's claim looks like after this one was paused past its lease.
        await metadata.Datasets.UpdateAsync(message.TargetId, d => d.State.Delivery = 2);
        await Polling.WaitUntilAsync(() => probe.Cancelled, Within, Every);
        await Task.Delay(500);

        var state = (await metadata.Datasets.GetAsync(message.TargetId))!.State;
        Assert.Equal((int)DatasetStatus.XCHECKING, state.Status); // its "stopped" write was fenced off
        Assert.Equal(message.JobId, state.JobId);
        Assert.Equal([message.JobId], queue.PendingIds()); // not settled: the lease is the later delivery's
        Assert.Empty(queue.DeadLetters());
    }

    [Fact]
    public async Task A_delivery_older_than_the_claim_on_its_job_does_not_run()
    {
        var message = await EnqueueAsync("ok");
        await metadata.Datasets.UpdateAsync(message.TargetId, d => d.State.Delivery = 3);
        using var runner = await StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(0, probe.Runs);
        Assert.Equal((int)DatasetStatus.XCHECKING, (await metadata.Datasets.GetAsync(message.TargetId))!.State.Status);
    }

    private Task<JobMessage> EnqueueAsync(string what) => EnqueueAsync(what, queue);

    private async Task<JobMessage> EnqueueAsync(string what, IJobQueue target)
    {
        var dataset = await metadata.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "probe", Type = "classification" });
        var message = JobMessageFactory.Create(ProbeJobHandler.ProbeKind, "local", dataset.Id, what);
        await metadata.Datasets.UpdateAsync(dataset.Id, d => d.State = new JobState { Status = (int)DatasetStatus.XCHECKING, JobId = message.JobId });
        await target.EnqueueAsync(message);
        return message;
    }

    private async Task<JobRunner> StartAsync(int maxDeliveries = 5, IJobQueue? on = null)
    {
        var options = new WorkerOptions { MaxDeliveryCount = maxDeliveries, CancelCheckInterval = TimeSpan.FromMilliseconds(200) };
        var runner = new JobRunner(on ?? queue, [probe], new ServiceCollection().BuildServiceProvider(), options, NullLogger<JobRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        return runner;
    }

    /// <summary>Counts lease renewals on the way through to a real queue.</summary>
    private sealed class CountingQueue(IJobQueue inner) : IJobQueue
    {
        private int renewals;

        public int Renewals => Volatile.Read(ref renewals);

        public ValueTask EnqueueAsync(JobMessage message, CancellationToken cancellationToken = default) => inner.EnqueueAsync(message, cancellationToken);

        public async ValueTask<IJobLease?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default) =>
            await inner.ReceiveAsync(maxWait, cancellationToken) is { } lease ? new Lease(this, lease) : null;

        public ValueTask<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default) => inner.ReadDeadLettersAsync(cancellationToken);

        private sealed class Lease(CountingQueue owner, IJobLease inner) : IJobLease
        {
            public JobMessage Message => inner.Message;

            public int DeliveryCount => inner.DeliveryCount;

            public int FaultedDeliveries => inner.FaultedDeliveries;

            public TimeSpan LeaseDuration => inner.LeaseDuration;

            public ValueTask RenewAsync(CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref owner.renewals);
                return inner.RenewAsync(cancellationToken);
            }

            public ValueTask CompleteAsync(CancellationToken cancellationToken = default) => inner.CompleteAsync(cancellationToken);

            public ValueTask AbandonAsync(CancellationToken cancellationToken = default) => inner.AbandonAsync(cancellationToken);

            public ValueTask HandBackAsync(CancellationToken cancellationToken = default) => inner.HandBackAsync(cancellationToken);

            public ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default) => inner.DeadLetterAsync(reason, cancellationToken);
        }
    }
}
