using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Storage.Ports;

/// <summary>At-least-once delivery of job messages with leases. A message is dead-lettered once it
/// has FAULTED more than the queue's limit: a delivery that was handed back
/// (<see cref="IJobLease.HandBackAsync"/>, a worker shutting down) is not a fault; one that was
/// abandoned or whose lease lapsed (a crash) is.</summary>
public interface IJobQueue
{
    /// <summary>Returns once the message is durable: a crash after this loses nothing.</summary>
    ValueTask EnqueueAsync(JobMessage message, CancellationToken cancellationToken = default);

    /// <summary>Waits for the next message; null when <paramref name="maxWait"/> passes first.</summary>
    ValueTask<IJobLease?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default);

    /// <summary>The dead-lettered messages with their reasons, whoever dead-lettered them (a worker,
    /// the queue's own delivery limit, expiry). Read only: they stay for the operator.</summary>
    ValueTask<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default);
}

/// <summary>A message of the dead-letter queue.</summary>
public sealed record DeadLetter(JobMessage Message, string Reason);

/// <summary>A received message, invisible to other receivers until settled or the lease lapses.</summary>
public interface IJobLease
{
    JobMessage Message { get; }

    /// <summary>1 on the first delivery; counts every delivery, handed back or not.</summary>
    int DeliveryCount { get; }

    /// <summary>Earlier deliveries that ended in a fault: abandoned, or the lease lapsed. Deliveries
    /// handed back on shutdown are not counted.</summary>
    int FaultedDeliveries { get; }

    /// <summary>How long the lease lasts from receipt or the last renewal; renew well within it.</summary>
    TimeSpan LeaseDuration { get; }

    ValueTask RenewAsync(CancellationToken cancellationToken = default);

    ValueTask CompleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Hands the message back for redelivery after a fault: counts toward the dead-letter limit.</summary>
    ValueTask AbandonAsync(CancellationToken cancellationToken = default);

    /// <summary>Hands the message back for redelivery without counting a fault: the worker is
    /// stopping (scale-in, new revision) and the next delivery resumes the job.</summary>
    ValueTask HandBackAsync(CancellationToken cancellationToken = default);

    ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default);
}
