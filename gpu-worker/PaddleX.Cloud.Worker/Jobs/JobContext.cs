using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>One delivery of a job to its handler.</summary>
/// <param name="Cancellation">Cancelled when the user stops the job, deletes its target, or the worker shuts down.</param>
public sealed record JobContext(
    JobMessage Message,
    int DeliveryCount,
    IServiceProvider Services,
    ILogger Logger,
    CancellationToken Cancellation)
{
    /// <summary>True when <see cref="Cancellation"/> fired because the worker is shutting down, in
    /// which case the job is handed back to the queue rather than recorded as stopped.</summary>
    public Func<bool> IsShuttingDown { get; init; } = () => false;

    /// <summary>True when <see cref="Cancellation"/> fired because a later delivery of this job claimed it (this
    /// worker was paused past its lease): the run stops without writing anything more (see JobFence).</summary>
    public Func<bool> IsSuperseded { get; init; } = () => false;
}
