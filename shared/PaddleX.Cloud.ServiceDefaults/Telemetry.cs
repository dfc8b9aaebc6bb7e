using System.Diagnostics;

namespace PaddleX.Cloud.ServiceDefaults;

/// <summary>The activity source of the job path. A job's activity continues the trace of the HTTP
/// request that enqueued it: the job message carries that request's W3C trace context.</summary>
public static class Telemetry
{
    public const string JobsSourceName = "PaddleX.Cloud.Jobs";

    public static readonly ActivitySource Jobs = new(JobsSourceName);

    /// <summary>Starts the activity of one job delivery, as a child of <paramref name="traceParent"/> when it parses.</summary>
    public static Activity? StartJob(string kind, string jobId, string targetId, string? traceParent, int deliveryCount)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        var activity = Jobs.StartActivity($"job {kind}", ActivityKind.Consumer, parent);
        activity?.SetTag("paddlex.job.id", jobId);
        activity?.SetTag("paddlex.job.kind", kind);
        activity?.SetTag("paddlex.job.target", targetId);
        activity?.SetTag("messaging.message.delivery_count", deliveryCount);
        return activity;
    }
}
