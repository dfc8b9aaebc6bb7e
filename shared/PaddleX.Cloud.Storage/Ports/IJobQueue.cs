using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>At-least-once delivery of job messages with leases.</summary>
public interface IJobQueue
{
    /// <summary>Returns once the message is durable: a crash after this loses nothing.</summary>
    ValueTask EnqueueAsync(JobMessage message, CancellationToken cancellationToken = default);

    /// <summary>Waits for the next message; null when <paramref name="maxWait"/> passes first.</summary>
    ValueTask<IJobLease?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default);
}

/// <summary>A received message, invisible to other receivers until settled or the lease lapses.</summary>
public interface IJobLease
{
    JobMessage Message { get; }

    /// <summary>1 on the first delivery.</summary>
    int DeliveryCount { get; }

    ValueTask RenewAsync(CancellationToken cancellationToken = default);

    ValueTask CompleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Hands the message back for redelivery.</summary>
    ValueTask AbandonAsync(CancellationToken cancellationToken = default);

    ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default);
}
