namespace PaddleX.Cloud.Worker.Hosting;

/// <summary>Bound from the <c>Worker</c> configuration section.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Jobs run at the same time by this process.</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary>Faulted deliveries of a job before it is dead-lettered (hand-backs on shutdown do not count).</summary>
    public int MaxDeliveryCount { get; set; } = 5;

    /// <summary>How often a running job's stop flag and target are checked: one point read of the
    /// target per check, so a stop takes effect within this interval.</summary>
    public TimeSpan CancelCheckInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Longest wait between renewals of a running job's lease. Renewal follows the lease:
    /// every third of its duration (Service Bus: 5 min lock → 100 s), never less often than this.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the dead-letter queue is read for jobs whose target still shows them running
    /// (dead-lettered by the queue itself: delivery cap, expiry), which are then recorded as failed.</summary>
    public TimeSpan DeadLetterSweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the worker writes its heartbeat (<c>workers/{host}-{pid}.json</c>).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether heartbeats are written; unset: only with <c>Backend=azure</c>, where the API
    /// reports the workers' machines (locally it reports its own).</summary>
    public bool? Heartbeat { get; set; }
}
