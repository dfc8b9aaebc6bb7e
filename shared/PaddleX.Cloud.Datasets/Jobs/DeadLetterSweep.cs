using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>Finds jobs that left the queue without a worker recording why — dead-lettered by the
/// queue itself (its delivery cap, a lease that lapsed on the last delivery, expiry after waiting too
/// long) — and records them as failed on their target, with the queue's reason, through the same
/// <see cref="IJobTarget.OnDeadLetteredAsync"/> a worker uses. Without this such a task would show
/// "running" forever. Worker replicas run it on a timer, and so does the API's Functions app, so it
/// also happens while no worker runs (scaled to zero, no GPU quota). The dead letters stay in the
/// queue for the operator (and the alert on them); a second sweep finds their targets released.</summary>
public sealed partial class DeadLetterSweep(IJobQueue queue, IEnumerable<IJobTarget> targets, ILogger<DeadLetterSweep> logger)
{
    private readonly Dictionary<string, IJobTarget> byKind = targets.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    /// <summary>One pass; returns how many stranded jobs it recorded as failed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var reconciled = 0;
        foreach (var dead in await queue.ReadDeadLettersAsync(cancellationToken))
        {
            if (!byKind.TryGetValue(dead.Message.Kind, out var target))
            {
                continue;
            }

            // Only while the target still shows THIS job: a finished, stopped or superseded job is left alone.
            var state = await target.ReadStateAsync(dead.Message, cancellationToken);
            if (state is null || state.JobId != dead.Message.JobId)
            {
                continue;
            }

            LogReconciled(dead.Message.Kind, dead.Message.JobId, dead.Message.TargetId, dead.Reason);
            await target.OnDeadLetteredAsync(dead.Message, $"dead-lettered: {dead.Reason}", cancellationToken);
            reconciled++;
        }

        return reconciled;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} job {JobId} on {Target} was dead-lettered by the queue ({Reason}); recorded as failed")]
    private partial void LogReconciled(string kind, string jobId, string target, string reason);
}
