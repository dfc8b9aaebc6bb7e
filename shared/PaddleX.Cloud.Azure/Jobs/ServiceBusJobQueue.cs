using global::Azure.Messaging.ServiceBus;
using Google.Protobuf;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure.Jobs;

/// <summary>Jobs on an Azure Service Bus queue (peek-lock). The message id is the job id, so the
/// queue's duplicate detection drops a repeated enqueue; <c>kind</c>, <c>target</c> and <c>workspace</c>
/// are application properties for filtering and diagnostics; the body is the JobMessage protobuf.</summary>
/// <remarks>The broker counts every delivery, and a hand-back on shutdown (an abandon) is a delivery
/// too. So a hand-back records itself in the application property <see cref="HandBacksProperty"/>,
/// and <see cref="MaxDeliveryCount"/> limits the FAULTED deliveries (all deliveries minus hand-backs).
/// The queue's own MaxDeliveryCount must be a safety cap well above it (infra/bicep sets 100): the
/// broker dead-letters past that cap, or on expiry, without any worker; <see cref="ReadDeadLettersAsync"/>
/// lets the worker find those jobs.</remarks>
/// <param name="client">The client the sender and receivers came from, when this queue owns it (disposed with it).</param>
/// <param name="deadLetters">A receiver on the queue's dead-letter sub-queue (only peeked).</param>
public sealed class ServiceBusJobQueue(ServiceBusSender sender, ServiceBusReceiver receiver, ServiceBusClient? client = null, ServiceBusReceiver? deadLetters = null) : IJobQueue, IAsyncDisposable
{
    public const string HandBacksProperty = "paddlex-handbacks";

    /// <summary>Most dead letters read at once (the operator purges the sub-queue after review).</summary>
    private const int DeadLetterReadLimit = 1000;

    public int MaxDeliveryCount { get; init; } = 5;

    public async ValueTask EnqueueAsync(JobMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(message.JobId);
        await sender.SendMessageAsync(ToServiceBusMessage(message), cancellationToken);
    }

    public async ValueTask<IJobLease?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        var deadline = DateTimeOffset.UtcNow + maxWait;
        while (true)
        {
            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            var received = await receiver.ReceiveMessageAsync(remaining, cancellationToken);
            if (received is null)
            {
                return null;
            }

            if (!JobMessageCodec.TryParse(received.Body.ToMemory().Span, out var job))
            {
                await receiver.DeadLetterMessageAsync(received, "UnreadableMessage", "The body is not a JobMessage protobuf.", cancellationToken);
                continue;
            }

            var handBacks = HandBacksOf(received);
            if (received.DeliveryCount - handBacks > MaxDeliveryCount)
            {
                await receiver.DeadLetterMessageAsync(received, "MaxDeliveryCountExceeded", $"delivered {received.DeliveryCount - 1} times without completing ({received.DeliveryCount - 1 - handBacks} faulted)", cancellationToken);
                continue;
            }

            return new Lease(receiver, received, job);
        }
    }

    public async ValueTask<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default)
    {
        if (deadLetters is null)
        {
            return [];
        }

        var result = new List<DeadLetter>();
        long? next = null;
        while (result.Count < DeadLetterReadLimit)
        {
            var page = await deadLetters.PeekMessagesAsync(100, next, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var message in page)
            {
                if (JobMessageCodec.TryParse(message.Body.ToMemory().Span, out var job))
                {
                    var reason = string.IsNullOrEmpty(message.DeadLetterErrorDescription) || message.DeadLetterErrorDescription == message.DeadLetterReason
                        ? message.DeadLetterReason
                        : $"{message.DeadLetterReason}: {message.DeadLetterErrorDescription}";
                    result.Add(new DeadLetter(job, reason ?? "dead-lettered"));
                }
            }

            next = page[^1].SequenceNumber + 1;
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await sender.DisposeAsync();
        await receiver.DisposeAsync();
        if (deadLetters is not null)
        {
            await deadLetters.DisposeAsync();
        }

        if (client is not null)
        {
            await client.DisposeAsync();
        }
    }

    internal static ServiceBusMessage ToServiceBusMessage(JobMessage message)
    {
        var result = new ServiceBusMessage(new BinaryData(message.ToByteArray()))
        {
            MessageId = message.JobId,
            ContentType = JobMessageCodec.ContentType,
            Subject = message.Kind,
        };
        if (!string.IsNullOrEmpty(message.CorrelationId))
        {
            result.CorrelationId = message.CorrelationId;
        }

        result.ApplicationProperties["kind"] = message.Kind;
        result.ApplicationProperties["target"] = message.TargetId;
        result.ApplicationProperties["workspace"] = message.WorkspaceId;
        return result;
    }

    private static int HandBacksOf(ServiceBusReceivedMessage message) =>
        message.ApplicationProperties.TryGetValue(HandBacksProperty, out var value) && value is int count ? count : 0;

    private sealed class Lease(ServiceBusReceiver receiver, ServiceBusReceivedMessage received, JobMessage job) : IJobLease
    {
        /// <summary>The lock as the broker granted it (its LockedUntil, minus the time since receipt).</summary>
        private readonly TimeSpan lockDuration = received.LockedUntil > DateTimeOffset.UtcNow
            ? received.LockedUntil - DateTimeOffset.UtcNow
            : TimeSpan.FromSeconds(30);

        public JobMessage Message => job;

        public int DeliveryCount => received.DeliveryCount;

        public int FaultedDeliveries => received.DeliveryCount - 1 - HandBacksOf(received);

        public TimeSpan LeaseDuration => lockDuration;

        public async ValueTask RenewAsync(CancellationToken cancellationToken = default) =>
            await receiver.RenewMessageLockAsync(received, cancellationToken);

        public async ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
            await receiver.CompleteMessageAsync(received, cancellationToken);

        public async ValueTask AbandonAsync(CancellationToken cancellationToken = default) =>
            await receiver.AbandonMessageAsync(received, cancellationToken: cancellationToken);

        public async ValueTask HandBackAsync(CancellationToken cancellationToken = default) =>
            await receiver.AbandonMessageAsync(received, new Dictionary<string, object> { [HandBacksProperty] = HandBacksOf(received) + 1 }, cancellationToken);

        public async ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default) =>
            await receiver.DeadLetterMessageAsync(received, Truncate(reason), reason, cancellationToken);

        /// <summary>The dead-letter reason is a header limited in size; the description carries all of it.</summary>
        private static string Truncate(string reason) => reason.Length <= 256 ? reason : reason[..256];
    }
}
