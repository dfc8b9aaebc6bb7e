using global::Azure.Messaging.ServiceBus;

namespace PaddleX.Cloud.Storage.Tests;

/// <summary>An in-memory stand-in for one Service Bus queue in peek-lock mode, reached through
/// subclasses of the SDK's mockable <see cref="ServiceBusSender"/> and <see cref="ServiceBusReceiver"/>
/// (no emulator can run here). It follows the broker's rules: a lock lapses after
/// <see cref="LockDuration"/>, each lock raises DeliveryCount, and a message abandoned or lapsed on its
/// <see cref="MaxDeliveryCount"/>th delivery moves to the dead-letter queue; abandon applies the
/// properties to modify; <see cref="Expire"/> dead-letters a message as its time to live would.</summary>
internal sealed class FakeServiceBusQueue(TimeSpan lockDuration, int maxDeliveryCount)
{
    private readonly object gate = new();
    private readonly List<Entry> entries = [];
    private long sequence;

    public TimeSpan LockDuration { get; } = lockDuration;

    public int MaxDeliveryCount { get; } = maxDeliveryCount;

    public List<ServiceBusMessage> Sent { get; } = [];

    public List<(ServiceBusReceivedMessage Message, string Reason, string? Description)> DeadLetters { get; } = [];

    public List<string> Calls { get; } = [];

    public FakeSender CreateSender() => new(this);

    public FakeReceiver CreateReceiver() => new(this);

    public FakeDeadLetterReceiver CreateDeadLetterReceiver() => new(this);

    /// <summary>The broker's own expiry: the message's time to live passed while it waited.</summary>
    public void Expire(string messageId)
    {
        lock (gate)
        {
            var entry = entries.Single(e => e.Message.MessageId == messageId);
            MoveToDeadLetter(entry, "TTLExpiredException", "The message expired and was dead lettered.");
        }
    }

    private void Record(string call)
    {
        lock (gate)
        {
            Calls.Add(call);
        }
    }

    private void Send(ServiceBusMessage message)
    {
        lock (gate)
        {
            Sent.Add(message);

            // Duplicate detection by message id.
            if (entries.Any(e => e.Message.MessageId == message.MessageId))
            {
                return;
            }

            entries.Add(new Entry(message, ++sequence));
        }
    }

    private ServiceBusReceivedMessage? TryLock()
    {
        lock (gate)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var entry in entries.ToList())
            {
                if (entry.LockedUntil is { } until && until <= now)
                {
                    entry.LockedUntil = null; // lapsed
                    if (entry.DeliveryCount >= MaxDeliveryCount)
                    {
                        MoveToDeadLetter(entry, "MaxDeliveryCountExceeded", "lock lapsed on the last delivery");
                    }
                }
            }

            var next = entries.FirstOrDefault(e => e.LockedUntil is null);
            if (next is null)
            {
                return null;
            }

            next.DeliveryCount++;
            next.LockToken = Guid.NewGuid();
            next.LockedUntil = now + LockDuration;
            return ToReceived(next);
        }
    }

    private Entry Locked(ServiceBusReceivedMessage message)
    {
        var entry = entries.FirstOrDefault(e => e.LockToken == message.LockTokenGuid());
        if (entry is null || entry.LockedUntil is not { } until || until <= DateTimeOffset.UtcNow)
        {
            throw new ServiceBusException("The lock supplied is invalid.", ServiceBusFailureReason.MessageLockLost);
        }

        return entry;
    }

    private void Settle(ServiceBusReceivedMessage message, Action<Entry> settle)
    {
        lock (gate)
        {
            settle(Locked(message));
        }
    }

    private void MoveToDeadLetter(Entry entry, string reason, string? description)
    {
        entries.Remove(entry);
        var properties = new Dictionary<string, object>(entry.Message.ApplicationProperties) { ["DeadLetterReason"] = reason };
        if (description is not null)
        {
            properties["DeadLetterErrorDescription"] = description;
        }

        DeadLetters.Add((ToReceived(entry, properties), reason, description));
    }

    private IReadOnlyList<ServiceBusReceivedMessage> PeekDeadLetters(long fromSequenceNumber, int maxMessages)
    {
        lock (gate)
        {
            return DeadLetters.Select(d => d.Message).Where(m => m.SequenceNumber >= fromSequenceNumber).OrderBy(m => m.SequenceNumber).Take(maxMessages).ToList();
        }
    }

    private static ServiceBusReceivedMessage ToReceived(Entry entry, IDictionary<string, object>? properties = null) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: entry.Message.Body,
            messageId: entry.Message.MessageId,
            correlationId: entry.Message.CorrelationId,
            subject: entry.Message.Subject,
            contentType: entry.Message.ContentType,
            properties: properties ?? new Dictionary<string, object>(entry.Message.ApplicationProperties),
            lockTokenGuid: entry.LockToken,
            deliveryCount: entry.DeliveryCount,
            lockedUntil: entry.LockedUntil ?? default,
            sequenceNumber: entry.Sequence);

    private sealed class Entry(ServiceBusMessage message, long sequence)
    {
        public ServiceBusMessage Message { get; } = message;

        public long Sequence { get; } = sequence;

        public int DeliveryCount { get; set; }

        public Guid LockToken { get; set; }

        public DateTimeOffset? LockedUntil { get; set; }
    }

    internal sealed class FakeSender(FakeServiceBusQueue queue) : ServiceBusSender
    {
        public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
        {
            queue.Record("send " + message.MessageId);
            queue.Send(message);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    internal sealed class FakeReceiver(FakeServiceBusQueue queue) : ServiceBusReceiver
    {
        public override async Task<ServiceBusReceivedMessage> ReceiveMessageAsync(TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default)
        {
            var deadline = DateTimeOffset.UtcNow + (maxWaitTime ?? TimeSpan.FromSeconds(60));
            while (true)
            {
                if (queue.TryLock() is { } message)
                {
                    queue.Record("receive " + message.MessageId);
                    return message;
                }

                if (DateTimeOffset.UtcNow >= deadline)
                {
                    return null!; // the SDK answers null when the wait passes
                }

                await Task.Delay(50, cancellationToken);
            }
        }

        public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        {
            queue.Record("complete " + message.MessageId);
            queue.Settle(message, entry => queue.entries.Remove(entry));
            return Task.CompletedTask;
        }

        public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
        {
            queue.Record("abandon " + message.MessageId);
            queue.Settle(message, entry =>
            {
                entry.LockedUntil = null;
                foreach (var (key, value) in propertiesToModify ?? new Dictionary<string, object>())
                {
                    entry.Message.ApplicationProperties[key] = value;
                }

                if (entry.DeliveryCount >= queue.MaxDeliveryCount)
                {
                    queue.MoveToDeadLetter(entry, "MaxDeliveryCountExceeded", "abandoned on the last delivery");
                }
            });
            return Task.CompletedTask;
        }

        public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
        {
            queue.Record("deadletter " + message.MessageId + " " + deadLetterReason);
            queue.Settle(message, entry => queue.MoveToDeadLetter(entry, deadLetterReason, deadLetterErrorDescription));
            return Task.CompletedTask;
        }

        public override Task RenewMessageLockAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        {
            queue.Record("renew " + message.MessageId);
            queue.Settle(message, entry => entry.LockedUntil = DateTimeOffset.UtcNow + queue.LockDuration);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A receiver on the dead-letter sub-queue: only peeking is used.</summary>
    internal sealed class FakeDeadLetterReceiver(FakeServiceBusQueue queue) : ServiceBusReceiver
    {
        public override Task<IReadOnlyList<ServiceBusReceivedMessage>> PeekMessagesAsync(int maxMessages, long? fromSequenceNumber = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(queue.PeekDeadLetters(fromSequenceNumber ?? 0, maxMessages));

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

internal static class ServiceBusReceivedMessageExtensions
{
    public static Guid LockTokenGuid(this ServiceBusReceivedMessage message) => Guid.Parse(message.LockToken);
}
