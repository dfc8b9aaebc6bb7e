using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>An in-process queue that survives the process: each message is a file under
/// <c>.jobs/pending</c> from enqueue until it is completed or dead-lettered, and every pending file
/// is delivered again when the queue is opened. A lease that is neither settled nor renewed within
/// <see cref="LeaseDuration"/> lapses and the message is delivered again. <c>{id}.count</c> holds the
/// deliveries and, after a space, how many of them were handed back (not faults).</summary>
public sealed class LocalJobQueue : IJobQueue, IDisposable
{
    private readonly string pending;
    private readonly string dead;
    private readonly Channel<string> ready = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, Lease> leased = new(StringComparer.Ordinal);
    private readonly Timer sweeper;

    public LocalJobQueue(string workspaceDirectory, TimeSpan? leaseDuration = null)
    {
        pending = Path.Combine(workspaceDirectory, ".jobs", "pending");
        dead = Path.Combine(workspaceDirectory, ".jobs", "dead");
        Directory.CreateDirectory(pending);
        Directory.CreateDirectory(dead);
        LeaseDuration = leaseDuration ?? TimeSpan.FromMinutes(5);
        foreach (var temp in Directory.EnumerateFiles(pending, "*.tmp"))
        {
            File.Delete(temp);
        }

        foreach (var path in Directory.EnumerateFiles(pending, "*.job").OrderBy(File.GetLastWriteTimeUtc))
        {
            ready.Writer.TryWrite(Path.GetFileNameWithoutExtension(path));
        }

        sweeper = new Timer(_ => ReleaseLapsedLeases(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public TimeSpan LeaseDuration { get; }

    /// <summary>Messages delivered more often than this are dead-lettered instead.</summary>
    public int MaxDeliveryCount { get; init; } = 5;

    public ValueTask EnqueueAsync(JobMessage message, CancellationToken cancellationToken = default)
    {
        var record = new StoredJob(message, DeliveryCount: 0, HandBacks: 0);
        Write(record);
        ready.Writer.TryWrite(message.JobId);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<IJobLease?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(maxWait);
        while (true)
        {
            string id;
            try
            {
                id = await ready.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            var stored = Read(id);
            if (stored is null || leased.ContainsKey(id))
            {
                continue; // completed meanwhile, or a duplicate wake-up
            }

            var record = stored with { DeliveryCount = stored.DeliveryCount + 1 };
            if (record.DeliveryCount - record.HandBacks > MaxDeliveryCount)
            {
                MoveToDead(id, $"delivered {stored.DeliveryCount} times without completing ({stored.DeliveryCount - stored.HandBacks} faulted)");
                continue;
            }

            Write(record);
            var lease = new Lease(this, record);
            leased[id] = lease;
            return lease;
        }
    }

    /// <summary>Ids of messages waiting or running (for tests and diagnostics).</summary>
    public IReadOnlyList<string> PendingIds() =>
        Directory.EnumerateFiles(pending, "*.job").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();

    public ValueTask<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DeadLetter>>(DeadLetters().Select(d => new DeadLetter(d.Message, d.Reason)).ToList());

    /// <summary>Dead-lettered messages with the recorded reason.</summary>
    public IReadOnlyList<(JobMessage Message, string Reason)> DeadLetters() =>
        Directory.EnumerateFiles(dead, "*.job")
            .Select(path => (JobMessage.Parser.ParseFrom(File.ReadAllBytes(path)), File.Exists(path + ".reason") ? File.ReadAllText(path + ".reason") : string.Empty))
            .ToList();

    public void Dispose() => sweeper.Dispose();

    private void ReleaseLapsedLeases()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var lease in leased.Values.Where(l => l.ExpiresAt < now))
        {
            lease.Release(redeliver: true);
        }
    }

    private string PathOf(string id) => Path.Combine(pending, id + ".job");

    private string CountPathOf(string id) => Path.Combine(pending, id + ".count");

    private StoredJob? Read(string id)
    {
        try
        {
            var message = JobMessage.Parser.ParseFrom(File.ReadAllBytes(PathOf(id)));
            var countPath = CountPathOf(id);
            var counts = (File.Exists(countPath) ? File.ReadAllText(countPath) : string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var count = counts.Length > 0 && int.TryParse(counts[0], out var n) ? n : 0;
            var handBacks = counts.Length > 1 && int.TryParse(counts[1], out var h) ? h : 0;
            return new StoredJob(message, count, handBacks);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private void Write(StoredJob record)
    {
        var id = record.Message.JobId;
        AtomicWrite(CountPathOf(id), System.Text.Encoding.ASCII.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{record.DeliveryCount} {record.HandBacks}")));
        AtomicWrite(PathOf(id), record.Message.ToByteArray());
    }

    private void MoveToDead(string id, string reason)
    {
        File.WriteAllText(Path.Combine(dead, id + ".job.reason"), reason);
        File.Move(PathOf(id), Path.Combine(dead, id + ".job"), overwrite: true);
        File.Delete(CountPathOf(id));
    }

    private static void AtomicWrite(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private sealed record StoredJob(JobMessage Message, int DeliveryCount, int HandBacks);

    private sealed class Lease(LocalJobQueue queue, StoredJob record) : IJobLease
    {
        private int settled;

        public JobMessage Message => record.Message;

        public int DeliveryCount => record.DeliveryCount;

        public int FaultedDeliveries => record.DeliveryCount - 1 - record.HandBacks;

        public TimeSpan LeaseDuration => queue.LeaseDuration;

        public DateTimeOffset ExpiresAt { get; private set; } = DateTimeOffset.UtcNow + queue.LeaseDuration;

        public ValueTask RenewAsync(CancellationToken cancellationToken = default)
        {
            ExpiresAt = DateTimeOffset.UtcNow + queue.LeaseDuration;
            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken = default)
        {
            if (Settle())
            {
                File.Delete(queue.PathOf(Message.JobId));
                File.Delete(queue.CountPathOf(Message.JobId));
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask AbandonAsync(CancellationToken cancellationToken = default)
        {
            Release(redeliver: true);
            return ValueTask.CompletedTask;
        }

        public ValueTask HandBackAsync(CancellationToken cancellationToken = default)
        {
            if (Settle())
            {
                queue.Write(record with { HandBacks = record.HandBacks + 1 });
                queue.ready.Writer.TryWrite(Message.JobId);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default)
        {
            if (Settle())
            {
                queue.MoveToDead(Message.JobId, reason);
            }

            return ValueTask.CompletedTask;
        }

        public void Release(bool redeliver)
        {
            if (Settle() && redeliver)
            {
                queue.ready.Writer.TryWrite(Message.JobId);
            }
        }

        private bool Settle()
        {
            if (Interlocked.Exchange(ref settled, 1) != 0)
            {
                return false;
            }

            queue.leased.TryRemove(Message.JobId, out _);
            return true;
        }
    }
}
