using System.Globalization;

namespace PaddleX.Cloud.Contracts.Jobs;

public static class JobMessageFactory
{
    public static JobMessage Create(string kind, string workspaceId, string targetId, string parametersJson = "{}", string? correlationId = null) => new()
    {
        JobId = Guid.NewGuid().ToString("N"),
        Kind = kind,
        WorkspaceId = workspaceId,
        TargetId = targetId,
        ParametersJson = parametersJson,
        EnqueuedTime = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        CorrelationId = correlationId ?? string.Empty,
    };
}
