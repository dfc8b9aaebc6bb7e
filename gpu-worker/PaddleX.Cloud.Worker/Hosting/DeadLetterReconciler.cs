using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Datasets.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

/// <summary>Runs the <see cref="DeadLetterSweep"/> at start and every
/// <see cref="WorkerOptions.DeadLetterSweepInterval"/>, so a replica reconciles stranded jobs as soon
/// as it starts (the API's Functions app runs the same sweep on its own timer).</summary>
public sealed partial class DeadLetterReconciler(
    DeadLetterSweep sweep,
    WorkerOptions options,
    ILogger<DeadLetterReconciler> logger) : BackgroundService
{
    /// <summary>One pass; returns how many stranded jobs it recorded as failed.</summary>
    public Task<int> SweepAsync(CancellationToken cancellationToken) => sweep.SweepAsync(cancellationToken);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the dead-letter queue failed")]
    private partial void LogSweepFailed(Exception fault);
}
