using Microsoft.Azure.Functions.Worker;
using PaddleX.Cloud.Datasets.Jobs;

namespace PaddleX.Cloud.Functions;

/// <summary>Housekeeping the API does on a timer. Worker replicas sweep the dead letters too, but the
/// worker scales to zero (and may have no GPU quota at all): without this sweep a job the broker
/// dead-letters or expires while no replica runs would leave its task "running" until one starts.</summary>
public sealed class MaintenanceFunctions(DeadLetterSweep sweep)
{
    /// <summary>Every 5 minutes (NCRONTAB with seconds). A failed pass throws, so the host logs it and the next tick retries.</summary>
    [Function("ReconcileDeadLetters")]
    public Task<int> ReconcileDeadLetters([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweep.SweepAsync(cancellationToken);
}
