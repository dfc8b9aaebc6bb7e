using System.Text.Json;
using System.Text.Json.Serialization;
using global::Azure;
using global::Azure.Storage.Queues;
using global::Azure.Storage.Queues.Models;
using Google.Protobuf;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure.Jobs;

/// <summary>Jobs on an Azure Storage queue. A lease is the message's visibility timeout (extended by
/// <see cref="IJobLease.RenewAsync"/> through UpdateMessage); abandon makes it visible at once; a
/// message that faulted more than <see cref="MaxDeliveryCount"/> times, or dead-lettered explicitly,
/// moves to the <c>&lt;name&gt;-poison</c> queue with the reason. The text is the base64 JobMessage;
/// after a hand-back it carries <c>.{handBacks}</c>, so those deliveries are not counted as faults.</summary>
public sealed class StorageQueueJobQueue : IJobQueue
{
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);
    private readonly QueueClient queue;
    private readonly QueueClient poison;
    private readonly Func<CancellationToken, Task> ensureReady;

    /// <param name="queue">Created with <see cref="QueueMessageEncoding.Base64"/> or none; bodies are
    /// sent as base64 text either way.</param>
    public StorageQueueJobQueue(QueueClient queue, QueueClient poison, TimeSpan leaseDuration, Func<CancellationToken, Task>? ensureReady = null)
    {
        this.queue = queue;
        this.poison = poison;
        LeaseDuration = leaseDuration;
        this.ensureReady = ensureReady ?? (_ => Task.CompletedTask);
    }

    public TimeSpan LeaseDuration { get; }

    public int MaxDeliveryCount { get; init; } = 5;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public static string PoisonQueueName(string queueName) => queueName + "-poison";

    public async ValueTask EnqueueAsync(JobMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(message.JobId);
        await ensureReady(cancellationToken);
        await queue.SendMessageAsync(Convert.ToBase64String(message.ToByteArray()), cancellationToken);
    }

    public async ValueTask<IJobLease?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var deadline = DateTimeOffset.UtcNow + maxWait;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            QueueMessage? received = (await queue.ReceiveMessageAsync(Clamp(LeaseDuration), cancellationToken)).Value;
            if (received is not null)
            {
                if (!TryDecode(received.MessageText, out var job, out var handBacks))
                {
                    await MoveToPoisonAsync(received.MessageId, received.PopReceipt, received.MessageText, (int)received.DequeueCount, "UnreadableMessage: the body is not a JobMessage protobuf", cancellationToken);
                    continue;
                }

                if (received.DequeueCount - handBacks > MaxDeliveryCount)
                {
                    await MoveToPoisonAsync(received.MessageId, received.PopReceipt, received.MessageText, (int)received.DequeueCount, $"MaxDeliveryCountExceeded: delivered {received.DequeueCount - 1} times without completing ({received.DequeueCount - 1 - handBacks} faulted)", cancellationToken);
                    continue;
                }

                return new Lease(this, received, job, handBacks);
            }

            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(Min(delay, remaining), cancellationToken);
            delay = Min(delay * 2, PollInterval);
        }
    }

    /// <summary>The messages of the poison queue with their reasons (peeked, not removed).</summary>
    public async Task<IReadOnlyList<(JobMessage Message, string Reason)>> DeadLettersAsync(CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var peeked = await poison.PeekMessagesAsync(32, cancellationToken);
        var result = new List<(JobMessage, string)>();
        foreach (var item in peeked.Value)
        {
            var record = JsonSerializer.Deserialize(item.Body.ToString(), PoisonJson.Default.PoisonRecord);
            if (record is not null && TryDecode(record.Message, out var job, out _))
            {
                result.Add((job, record.Reason));
            }
        }

        return result;
    }

    public async ValueTask<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default) =>
        (await DeadLettersAsync(cancellationToken)).Select(d => new DeadLetter(d.Message, d.Reason)).ToList();

    private static bool TryDecode(string text, out JobMessage job, out int handBacks)
    {
        handBacks = 0;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            if (!int.TryParse(text.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out handBacks))
            {
                job = new JobMessage();
                return false;
            }

            text = text[..dot];
        }

        try
        {
            return JobMessageCodec.TryParse(Convert.FromBase64String(text), out job);
        }
        catch (FormatException)
        {
            job = new JobMessage();
            return false;
        }
    }

    private async Task MoveToPoisonAsync(string messageId, string popReceipt, string text, int deliveryCount, string reason, CancellationToken cancellationToken)
    {
        var record = new PoisonRecord(text, reason, deliveryCount, DateTimeOffset.UtcNow);
        await poison.SendMessageAsync(JsonSerializer.Serialize(record, PoisonJson.Default.PoisonRecord), cancellationToken);
        try
        {
            await queue.DeleteMessageAsync(messageId, popReceipt, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The lease lapsed and someone else holds it now; the poison copy stays (at-least-once).
        }
    }

    private static TimeSpan Clamp(TimeSpan visibility) =>
        visibility < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : visibility > MaxVisibility ? MaxVisibility : visibility;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    internal sealed record PoisonRecord(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("reason")] string Reason,
        [property: JsonPropertyName("deliveryCount")] int DeliveryCount,
        [property: JsonPropertyName("time")] DateTimeOffset Time);

    private sealed class Lease(StorageQueueJobQueue owner, QueueMessage received, JobMessage job, int handBacks) : IJobLease
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private string popReceipt = received.PopReceipt;
        private bool settled;

        public JobMessage Message => job;

        public int DeliveryCount => (int)received.DequeueCount;

        public int FaultedDeliveries => DeliveryCount - 1 - handBacks;

        public TimeSpan LeaseDuration => Clamp(owner.LeaseDuration);

        public ValueTask RenewAsync(CancellationToken cancellationToken = default) =>
            SetVisibilityAsync(Clamp(owner.LeaseDuration), settle: false, cancellationToken);

        public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (settled)
                {
                    return;
                }

                settled = true;
                await owner.queue.DeleteMessageAsync(received.MessageId, popReceipt, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }

        public ValueTask AbandonAsync(CancellationToken cancellationToken = default) =>
            SetVisibilityAsync(TimeSpan.Zero, settle: true, cancellationToken);

        public ValueTask HandBackAsync(CancellationToken cancellationToken = default) =>
            SetVisibilityAsync(TimeSpan.Zero, settle: true, cancellationToken, newText: Convert.ToBase64String(job.ToByteArray()) + "." + (handBacks + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

        public async ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (settled)
                {
                    return;
                }

                settled = true;
                await owner.MoveToPoisonAsync(received.MessageId, popReceipt, received.MessageText, DeliveryCount, reason, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }

        private async ValueTask SetVisibilityAsync(TimeSpan visibility, bool settle, CancellationToken cancellationToken, string? newText = null)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (settled)
                {
                    return;
                }

                settled = settle;
                var receipt = await owner.queue.UpdateMessageAsync(received.MessageId, popReceipt, newText, visibility, cancellationToken);
                popReceipt = receipt.Value.PopReceipt;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}

[JsonSerializable(typeof(StorageQueueJobQueue.PoisonRecord))]
internal sealed partial class PoisonJson : JsonSerializerContext;
