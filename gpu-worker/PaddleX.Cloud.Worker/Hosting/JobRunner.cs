using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.ServiceDefaults;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

/// <summary>Takes job messages from the queue and runs them on their handlers, a few at a time.
/// Settlement: done or failed-with-a-message → complete; fault → abandon (retry) until the limit of
/// faulted deliveries, then dead-letter with the reason recorded on the target; shutdown → hand back
/// (not a fault), so another worker (or this one, restarted) picks the job up and resumes from its
/// last checkpoint however often replicas are stopped.</summary>
public sealed partial class JobRunner(
    IJobQueue queue,
    IEnumerable<IJobHandler> handlers,
    IServiceProvider services,
    WorkerOptions options,
    ILogger<JobRunner> logger,
    IOptions<HostOptions>? hostOptions = null) : BackgroundService
{
    private readonly Dictionary<string, IJobHandler> byKind = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    /// <summary>Jobs running now, by job id (for heartbeats and diagnostics).</summary>
    public IReadOnlyCollection<string> Running => running.Keys.ToList();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> running = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var concurrency = Math.Max(1, options.Concurrency);
        LogTakingJobs(concurrency, hostOptions?.Value.ShutdownTimeout);
        var slots = new SemaphoreSlim(concurrency);
        var inFlight = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                IJobLease? lease;
                try
                {
                    lease = await queue.ReceiveAsync(TimeSpan.FromSeconds(5), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    slots.Release();
                    break;
                }
#pragma warning disable CA1031 // a queue outage must not kill the worker: wait and try again
                catch (Exception fault)
#pragma warning restore CA1031
                {
                    slots.Release();
                    LogReceiveFailed(fault);
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                    continue;
                }

                if (lease is null)
                {
                    slots.Release();
                    continue;
                }

                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await ProcessAsync(lease, stoppingToken);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    },
                    CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(inFlight);
    }

    /// <summary>Runs one delivery to its settlement. Public for tests that drive the runner directly.</summary>
    public async Task ProcessAsync(IJobLease lease, CancellationToken stoppingToken)
    {
        var message = lease.Message;
        using var activity = Telemetry.StartJob(message.Kind, message.JobId, message.TargetId, message.CorrelationId, lease.DeliveryCount);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = message.JobId, ["CorrelationId"] = message.CorrelationId });
        if (!byKind.TryGetValue(message.Kind, out var handler))
        {
            LogUnknownKind(message.Kind, message.JobId);
            await lease.DeadLetterAsync($"no handler for job kind '{message.Kind}'", CancellationToken.None);
            return;
        }

        var state = await handler.ReadStateAsync(message, stoppingToken);
        if (state is null || state.JobId != message.JobId)
        {
            // The target is gone, or this job finished or was superseded: a duplicate delivery does nothing.
            LogStale(message.Kind, message.JobId);
            await lease.CompleteAsync(CancellationToken.None);
            return;
        }

        // Fence off a stale run of an earlier delivery (see JobFence); a later delivery already claimed: nothing to do.
        JobFence.Current = lease.DeliveryCount;
        if (!await handler.ClaimAsync(message, lease.DeliveryCount, stoppingToken))
        {
            LogSuperseded(message.Kind, message.JobId, lease.DeliveryCount);
            return;
        }

        running[message.JobId] = 0;
        var superseded = new StrongBox<bool>();
        using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var watcher = new Timer(_ => _ = WatchAsync(handler, lease, jobCancel, superseded), null, options.CancelCheckInterval, options.CancelCheckInterval);
        // Renewed until settled, also while a stopping job publishes its checkpoint: a lease lost
        // then would turn the hand-back into a lapse, which counts as a fault.
        var renewEvery = RenewInterval(lease.LeaseDuration);
        using var renewer = new Timer(_ => _ = RenewAsync(lease), null, renewEvery, renewEvery);
        var context = new JobContext(message, lease.DeliveryCount, services, logger, jobCancel.Token)
        {
            IsShuttingDown = () => stoppingToken.IsCancellationRequested,
            IsSuperseded = () => Volatile.Read(ref superseded.Value),
        };
        try
        {
            LogStarting(message.Kind, message.TargetId, message.JobId, lease.DeliveryCount);
            await handler.RunAsync(context);
            await lease.CompleteAsync(CancellationToken.None);
            LogFinished(message.Kind, message.JobId);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref superseded.Value))
        {
            // The lease is the later delivery's now: settling it from here would fail or settle the other run.
            LogSuperseded(message.Kind, message.JobId, lease.DeliveryCount);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogHandedBack(message.Kind, message.JobId);
            await lease.HandBackAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (jobCancel.IsCancellationRequested)
        {
            // Stopped by the user or target deleted: the handler recorded what it could.
            await lease.CompleteAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // any fault is settled: retried, then dead-lettered with its reason
        catch (Exception fault)
#pragma warning restore CA1031
        {
            LogFaulted(fault, message.Kind, message.JobId, lease.DeliveryCount);
            if (lease.FaultedDeliveries + 1 >= options.MaxDeliveryCount)
            {
                var reason = $"{fault.GetType().Name}: {fault.Message}";
                await handler.OnDeadLetteredAsync(message, reason, CancellationToken.None);
                await lease.DeadLetterAsync(reason, CancellationToken.None);
            }
            else
            {
                await lease.AbandonAsync(CancellationToken.None);
            }
        }
        finally
        {
            running.TryRemove(message.JobId, out _);
        }
    }

    private async Task WatchAsync(IJobHandler handler, IJobLease lease, CancellationTokenSource jobCancel, StrongBox<bool> superseded)
    {
        try
        {
            if (jobCancel.IsCancellationRequested)
            {
                return;
            }

            var state = await handler.ReadStateAsync(lease.Message, CancellationToken.None);
            if (state is not null && state.JobId == lease.Message.JobId && state.Delivery > lease.DeliveryCount)
            {
                Volatile.Write(ref superseded.Value, true);
            }

            if (state is null || state.CancelRequested || state.JobId != lease.Message.JobId || superseded.Value)
            {
                await jobCancel.CancelAsync();
            }
        }
#pragma warning disable CA1031 // a failed check is retried at the next tick
        catch (Exception fault)
#pragma warning restore CA1031
        {
            LogWatchFailed(fault, lease.Message.JobId);
        }
    }

    /// <summary>A third of the lease, so two renewals may fail before it lapses; at most <see cref="WorkerOptions.LeaseRenewInterval"/>.</summary>
    private TimeSpan RenewInterval(TimeSpan leaseDuration)
    {
        var third = leaseDuration / 3;
        var interval = third < options.LeaseRenewInterval ? third : options.LeaseRenewInterval;
        return interval < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : interval;
    }

    private async Task RenewAsync(IJobLease lease)
    {
        try
        {
            await lease.RenewAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // a failed renewal is retried at the next tick, well within the lease
        catch (Exception fault)
#pragma warning restore CA1031
        {
            LogRenewFailed(fault, lease.Message.JobId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking jobs: {Concurrency} at a time, stop timeout {StopTimeout}")]
    private partial void LogTakingJobs(int concurrency, TimeSpan? stopTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting {Kind} job on {Target} ({JobId}, delivery {Delivery})")]
    private partial void LogStarting(string kind, string target, string jobId, int delivery);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} job {JobId}: delivery {Delivery} superseded by a later delivery (this worker was paused past its lease); stopped without writing")]
    private partial void LogSuperseded(string kind, string jobId, int delivery);

    [LoggerMessage(Level = LogLevel.Information, Message = "Finished {Kind} job {JobId}")]
    private partial void LogFinished(string kind, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipping stale {Kind} job {JobId}")]
    private partial void LogStale(string kind, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing {Kind} job {JobId} back to the queue on shutdown")]
    private partial void LogHandedBack(string kind, string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "No handler for job kind {Kind} ({JobId})")]
    private partial void LogUnknownKind(string kind, string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} job {JobId} faulted on delivery {Delivery}")]
    private partial void LogFaulted(Exception fault, string kind, string jobId, int delivery);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from the job queue failed")]
    private partial void LogReceiveFailed(Exception fault);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease of job {JobId} failed")]
    private partial void LogRenewFailed(Exception fault, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking job {JobId} failed")]
    private partial void LogWatchFailed(Exception fault, string jobId);
}
