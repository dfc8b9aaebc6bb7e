using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

/// <summary>Finds jobs that left the queue without a worker recording why — dead-lettered by the
/// queue itself (its delivery cap, a lease that lapsed on the last delivery, expiry after waiting too
/// long) — and records them as failed on their target, with the queue's reason, through the same
/// <see cref="IJobHandler.OnDeadLetteredAsync"/> a worker uses. Without this such a task would show
/// "running" forever. Runs at start and every <see cref="WorkerOptions.DeadLetterSweepInterval"/>;
/// the dead letters stay in the queue for the operator (and the alert on them).</summary>
public sealed partial class DeadLetterReconciler(
    IJobQueue queue,
    IEnumerable<IJobHandler> handlers,
    WorkerOptions options,
    ILogger<DeadLetterReconciler> logger) : BackgroundService
{
    private readonly Dictionary<string, IJobHandler> byKind = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    /// <summary>One pass; returns how many stranded jobs it recorded as failed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var reconciled = 0;
        foreach (var dead in await queue.ReadDeadLettersAsync(cancellationToken))
        {
            if (!byKind.TryGetValue(dead.Message.Kind, out var handler))
            {
                continue;
            }

            // Only while the target still shows THIS job: a finished, stopped or superseded job is left alone.
            var state = await handler.ReadStateAsync(dead.Message, cancellationToken);
            if (state is null || state.JobId != dead.Message.JobId)
            {
                continue;
            }

            LogReconciled(dead.Message.Kind, dead.Message.JobId, dead.Message.TargetId, dead.Reason);
            await handler.OnDeadLetteredAsync(dead.Message, $"dead-lettered: {dead.Reason}", cancellationToken);
            reconciled++;
        }

        return reconciled;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.DeadLetterSweepInterval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // a queue or store outage must not stop the worker: sweep again at the next tick
            catch (Exception fault)
#pragma warning restore CA1031
            {
                LogSweepFailed(fault);
            }
        }
        while (await timer.NextTickOrStopAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} job {JobId} on {Target} was dead-lettered by the queue ({Reason}); recorded as failed")]
    private partial void LogReconciled(string kind, string jobId, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the dead-letter queue failed")]
    private partial void LogSweepFailed(Exception fault);
}
