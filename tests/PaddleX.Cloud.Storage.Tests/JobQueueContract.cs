using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>The contract of <see cref="IJobQueue"/>: every adapter passes the same assertions.</summary>
public abstract class JobQueueContract : IDisposable
{
    protected static readonly TimeSpan Short = TimeSpan.FromSeconds(1);
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(15);

    /// <summary>A queue over fresh, empty storage with the given lease and delivery limit.
    /// Later calls open new instances over the SAME storage (another process, or a restart).</summary>
    protected abstract IJobQueue OpenQueue(TimeSpan leaseDuration, int maxDeliveryCount = 5);

    /// <summary>The dead-lettered messages of the storage and their reasons.</summary>
    protected abstract Task<IReadOnlyList<(JobMessage Message, string Reason)>> DeadLettersAsync();

    /// <summary>False for an in-process queue: a live instance does not see messages another live
    /// instance enqueued (it sees them when opened).</summary>
    protected virtual bool SharedBetweenLiveInstances => true;

    protected static JobMessage NewJob(string kind = JobKinds.Train, string target = "T0001") =>
        JobMessageFactory.Create(kind, "ws1", target, "{\"epochs\":2,\"名\":\"值\"}", "corr-1");

    [Fact]
    public async Task Enqueue_receive_complete()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30));
        var job = NewJob();
        await queue.EnqueueAsync(job);
        var lease = await queue.ReceiveAsync(Long);
        Assert.NotNull(lease);
        Assert.Equal(job, lease.Message);
        Assert.Equal(1, lease.DeliveryCount);
        await lease.RenewAsync();
        await lease.CompleteAsync();
        Assert.Null(await queue.ReceiveAsync(Short));
    }

    [Fact]
    public async Task Receive_on_an_empty_queue_returns_null_after_the_wait()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30));
        var started = DateTimeOffset.UtcNow;
        Assert.Null(await queue.ReceiveAsync(Short));
        Assert.InRange(DateTimeOffset.UtcNow - started, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_leased_message_is_invisible_to_other_receivers()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30));
        await queue.EnqueueAsync(NewJob(target: "T1"));
        await queue.EnqueueAsync(NewJob(target: "T2"));
        var first = await queue.ReceiveAsync(Long);
        var second = await queue.ReceiveAsync(Long);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(["T1", "T2"], new[] { first.Message.TargetId, second.Message.TargetId }.Order(StringComparer.Ordinal));
        Assert.Null(await queue.ReceiveAsync(Short));
        await first.CompleteAsync();
        await second.CompleteAsync();
    }

    [Fact]
    public async Task Abandon_redelivers_with_delivery_count_two()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30));
        var job = NewJob();
        await queue.EnqueueAsync(job);
        var first = await queue.ReceiveAsync(Long);
        await first!.AbandonAsync();
        var second = await queue.ReceiveAsync(Long);
        Assert.NotNull(second);
        Assert.Equal(job.JobId, second.Message.JobId);
        Assert.Equal(2, second.DeliveryCount);
        await second.CompleteAsync();
    }

    [Fact]
    public async Task A_lapsed_lease_redelivers()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(2));
        var job = NewJob();
        await queue.EnqueueAsync(job);
        var first = await queue.ReceiveAsync(Long);
        Assert.NotNull(first);

        // Not settled, not renewed: the worker "died".
        var again = await queue.ReceiveAsync(Long);
        Assert.NotNull(again);
        Assert.Equal(job.JobId, again.Message.JobId);
        Assert.Equal(2, again.DeliveryCount);
        await again.CompleteAsync();
    }

    [Fact]
    public async Task Renewing_keeps_the_lease()
    {
        // Renewed well inside the lease (slack for a loaded machine), for longer than one lease.
        var queue = OpenQueue(TimeSpan.FromSeconds(4));
        await queue.EnqueueAsync(NewJob());
        var lease = await queue.ReceiveAsync(Long);
        Assert.NotNull(lease);
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await lease.RenewAsync();
        }

        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(1)));
        await lease.CompleteAsync();
        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Dead_letter_with_reason()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30));
        var job = NewJob(JobKinds.Export);
        await queue.EnqueueAsync(job);
        var lease = await queue.ReceiveAsync(Long);
        await lease!.DeadLetterAsync("model file is corrupt: 数据");
        Assert.Null(await queue.ReceiveAsync(Short));
        var dead = Assert.Single(await DeadLettersAsync());
        Assert.Equal(job, dead.Message);
        Assert.Contains("model file is corrupt: 数据", dead.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dead_lettered_after_max_delivery_count()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30), maxDeliveryCount: 3);
        var job = NewJob();
        await queue.EnqueueAsync(job);
        for (var delivery = 1; delivery <= 3; delivery++)
        {
            var lease = await queue.ReceiveAsync(Long);
            Assert.NotNull(lease);
            Assert.Equal(delivery, lease.DeliveryCount);
            await lease.AbandonAsync();
        }

        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(2)));
        var dead = Assert.Single(await DeadLettersAsync());
        Assert.Equal(job.JobId, dead.Message.JobId);
        Assert.False(string.IsNullOrWhiteSpace(dead.Reason));
    }

    [Fact]
    public async Task Handing_back_on_shutdown_is_not_a_fault()
    {
        // Deployed: every scale-in or new revision hands running jobs back. Only faults may dead-letter.
        var queue = OpenQueue(TimeSpan.FromSeconds(30), maxDeliveryCount: 2);
        var job = NewJob();
        await queue.EnqueueAsync(job);
        for (var delivery = 1; delivery <= 4; delivery++)
        {
            var lease = await queue.ReceiveAsync(Long);
            Assert.NotNull(lease);
            Assert.Equal(delivery, lease.DeliveryCount);
            Assert.Equal(0, lease.FaultedDeliveries);
            await lease.HandBackAsync();
        }

        // Faults still count: two abandons reach the limit of 2.
        for (var fault = 0; fault < 2; fault++)
        {
            var lease = await queue.ReceiveAsync(Long);
            Assert.NotNull(lease);
            Assert.Equal(fault, lease.FaultedDeliveries);
            await lease.AbandonAsync();
        }

        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(2)));
        var dead = Assert.Single(await queue.ReadDeadLettersAsync());
        Assert.Equal(job.JobId, dead.Message.JobId);
        Assert.False(string.IsNullOrWhiteSpace(dead.Reason));
    }

    [Fact]
    public async Task A_lapsed_lease_counts_as_a_fault()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(2));
        await queue.EnqueueAsync(NewJob());
        var first = await queue.ReceiveAsync(Long);
        Assert.NotNull(first);
        Assert.InRange(first.LeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        var again = await queue.ReceiveAsync(Long); // the first worker died holding it
        Assert.NotNull(again);
        Assert.Equal(1, again.FaultedDeliveries);
        await again.CompleteAsync();
    }

    [Fact]
    public async Task Dead_letters_are_read_through_the_port_with_their_reason_and_stay()
    {
        var queue = OpenQueue(TimeSpan.FromSeconds(30));
        var job = NewJob(JobKinds.Export);
        await queue.EnqueueAsync(job);
        await (await queue.ReceiveAsync(Long))!.DeadLetterAsync("model file is corrupt");
        for (var read = 0; read < 2; read++)
        {
            var dead = Assert.Single(await queue.ReadDeadLettersAsync());
            Assert.Equal(job, dead.Message);
            Assert.Contains("model file is corrupt", dead.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unsettled_message_survives_reopening_the_queue()
    {
        var first = OpenQueue(TimeSpan.FromSeconds(2));
        var job = NewJob();
        await first.EnqueueAsync(job);
        var lease = await first.ReceiveAsync(Long);
        Assert.NotNull(lease);
        (first as IDisposable)?.Dispose(); // the process dies without settling

        var reopened = OpenQueue(TimeSpan.FromSeconds(2));
        var again = await reopened.ReceiveAsync(Long);
        Assert.NotNull(again);
        Assert.Equal(job, again.Message);
        Assert.True(again.DeliveryCount >= 2);
        await again.CompleteAsync();
        Assert.Null(await OpenQueue(TimeSpan.FromSeconds(2)).ReceiveAsync(Short));
    }

    [Fact]
    public async Task Enqueued_by_one_instance_received_by_another()
    {
        var producer = OpenQueue(TimeSpan.FromSeconds(30));
        var consumer = SharedBetweenLiveInstances ? OpenQueue(TimeSpan.FromSeconds(30)) : null;
        var jobs = Enumerable.Range(0, 5).Select(i => NewJob(target: "T000" + i)).ToList();
        foreach (var job in jobs)
        {
            await producer.EnqueueAsync(job);
        }

        consumer ??= OpenQueue(TimeSpan.FromSeconds(30));

        var received = new List<string>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var lease = await consumer.ReceiveAsync(Long);
            Assert.NotNull(lease);
            received.Add(lease.Message.JobId);
            await lease.CompleteAsync();
        }

        Assert.Equal(jobs.Select(j => j.JobId).Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    protected virtual void Cleanup()
    {
    }
}

public sealed class LocalJobQueueTests : JobQueueContract
{
    private readonly string directory = TempFolders.Create("jobs");
    private readonly List<Local.LocalJobQueue> opened = [];

    protected override bool SharedBetweenLiveInstances => false;

    protected override IJobQueue OpenQueue(TimeSpan leaseDuration, int maxDeliveryCount = 5)
    {
        var queue = new Local.LocalJobQueue(directory, leaseDuration) { MaxDeliveryCount = maxDeliveryCount };
        opened.Add(queue);
        return queue;
    }

    protected override Task<IReadOnlyList<(JobMessage Message, string Reason)>> DeadLettersAsync() =>
        Task.FromResult(new Local.LocalJobQueue(directory).DeadLetters());

    protected override void Cleanup()
    {
        opened.ForEach(q => q.Dispose());
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

public sealed class StorageQueueJobQueueTests : JobQueueContract
{
    private readonly string name = Emulators.NewQueueName();
    private Azure.Jobs.StorageQueueJobQueue? last;

    public StorageQueueJobQueueTests() => _ = Emulators.Backends;

    protected override IJobQueue OpenQueue(TimeSpan leaseDuration, int maxDeliveryCount = 5)
    {
        var backends = Emulators.Backends;
        var options = new Azure.JobsOptions
        {
            Transport = Azure.JobTransport.StorageQueue,
            ConnectionString = backends.Storage.ConnectionString,
            Queue = name,
            MaxDeliveryCount = maxDeliveryCount,
            LeaseDuration = leaseDuration,
            PollInterval = TimeSpan.FromMilliseconds(200),
        };
        var configured = new Azure.AzureBackends { Tenant = backends.Tenant, Cosmos = backends.Cosmos, Storage = backends.Storage, Jobs = options };
        last = configured.CreateStorageQueueJobQueue();
        return last;
    }

    protected override async Task<IReadOnlyList<(JobMessage Message, string Reason)>> DeadLettersAsync() =>
        await (last ?? (Azure.Jobs.StorageQueueJobQueue)OpenQueue(TimeSpan.FromSeconds(30))).DeadLettersAsync();

    protected override void Cleanup()
    {
        var connection = Emulators.Backends.Storage.ConnectionString;
        new global::Azure.Storage.Queues.QueueClient(connection, name).DeleteIfExists();
        new global::Azure.Storage.Queues.QueueClient(connection, Azure.Jobs.StorageQueueJobQueue.PoisonQueueName(name)).DeleteIfExists();
    }
}
