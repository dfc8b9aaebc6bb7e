using System.Diagnostics;
using System.Globalization;

namespace PaddleX.Cloud.Contracts.Jobs;

public static class JobMessageFactory
{
    /// <param name="correlationId">Defaults to the current activity's W3C trace context, so the
    /// worker's activity for this job continues the trace of the request that enqueued it.</param>
    public static JobMessage Create(string kind, string workspaceId, string targetId, string parametersJson = "{}", string? correlationId = null) => new()
    {
        JobId = Guid.NewGuid().ToString("N"),
        Kind = kind,
        WorkspaceId = workspaceId,
        TargetId = targetId,
        ParametersJson = parametersJson,
        EnqueuedTime = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        CorrelationId = correlationId ?? Activity.Current?.Id ?? string.Empty,
    };
}
