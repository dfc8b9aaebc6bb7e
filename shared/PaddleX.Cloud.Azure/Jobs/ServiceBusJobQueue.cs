using global::Azure.Messaging.ServiceBus;
using Google.Protobuf;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure.Jobs;

/// <summary>Jobs on an Azure Service Bus queue (peek-lock). The message id is the job id, so the
/// queue's duplicate detection drops a repeated enqueue; <c>kind</c>, <c>target</c> and <c>workspace</c>
/// are application properties for filtering and diagnostics; the body is the JobMessage protobuf.</summary>
/// <remarks>The queue's own MaxDeliveryCount dead-letters a message the broker has delivered too often;
/// <see cref="MaxDeliveryCount"/> applies the same limit here so the contract holds whatever the
/// queue is configured with.</remarks>
/// <param name="client">The client the sender and receiver came from, when this queue owns it (disposed with it).</param>
public sealed class ServiceBusJobQueue(ServiceBusSender sender, ServiceBusReceiver receiver, ServiceBusClient? client = null) : IJobQueue, IAsyncDisposable
{
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

            if (received.DeliveryCount > MaxDeliveryCount)
            {
                await receiver.DeadLetterMessageAsync(received, "MaxDeliveryCountExceeded", $"delivered {received.DeliveryCount - 1} times without completing", cancellationToken);
                continue;
            }

            return new Lease(receiver, received, job);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await sender.DisposeAsync();
        await receiver.DisposeAsync();
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

    private sealed class Lease(ServiceBusReceiver receiver, ServiceBusReceivedMessage received, JobMessage job) : IJobLease
    {
        public JobMessage Message => job;

        public int DeliveryCount => received.DeliveryCount;

        public async ValueTask RenewAsync(CancellationToken cancellationToken = default) =>
            await receiver.RenewMessageLockAsync(received, cancellationToken);

        public async ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
            await receiver.CompleteMessageAsync(received, cancellationToken);

        public async ValueTask AbandonAsync(CancellationToken cancellationToken = default) =>
            await receiver.AbandonMessageAsync(received, cancellationToken: cancellationToken);

        public async ValueTask DeadLetterAsync(string reason, CancellationToken cancellationToken = default) =>
            await receiver.DeadLetterMessageAsync(received, Truncate(reason), reason, cancellationToken);

        /// <summary>The dead-letter reason is a header limited in size; the description carries all of it.</summary>
        private static string Truncate(string reason) => reason.Length <= 256 ? reason : reason[..256];
    }
}
