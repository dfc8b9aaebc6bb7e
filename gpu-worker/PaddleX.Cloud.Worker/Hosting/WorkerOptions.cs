namespace PaddleX.Cloud.Worker.Hosting;

/// <summary>Bound from the <c>Worker</c> configuration section.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Jobs run at the same time by this process.</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary>Deliveries of a faulting job before it is dead-lettered.</summary>
    public int MaxDeliveryCount { get; set; } = 5;

    /// <summary>How often a running job's stop flag and target are checked.</summary>
    public TimeSpan CancelCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a running job's lease is renewed.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the worker writes its heartbeat (<c>workers/{host}-{pid}.json</c>).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether heartbeats are written; unset: only with <c>Backend=azure</c>, where the API
    /// reports the workers' machines (locally it reports its own).</summary>
    public bool? Heartbeat { get; set; }
}
