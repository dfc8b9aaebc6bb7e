using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>The state a demo download owns (its state blob under <c>demo_datasets/&lt;type&gt;/</c>); the
/// target id is the project type name. A job given up by the queue leaves XDDOWNLOADFAIL.</summary>
public sealed class DemoJobTarget(IArtifactStore artifacts) : IJobTarget
{
    public string Kind => JobKinds.Demo;

    public async ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken)
    {
        var demo = DemoCatalog.Find(message.TargetId);
        var state = demo is null ? null : await DemoState.ReadAsync(artifacts, demo, cancellationToken);
        if (state is null)
        {
            return null;
        }

        var stop = await DemoState.StopRequestAsync(artifacts, demo!, cancellationToken);
        return new JobState { Status = state.Status, Message = state.Message, JobId = state.JobId, Delivery = state.Delivery, CancelRequested = stop == state.JobId && stop.Length > 0 };
    }

    /// <remarks>Read then write: the artifact store has no compare-and-swap. That suffices here because a later
    /// delivery exists only after the earlier one's lease lapsed; what the claim has to catch is the stale run waking up.</remarks>
    public async ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken)
    {
        var demo = DemoCatalog.Find(message.TargetId);
        var current = demo is null ? null : await DemoState.ReadAsync(artifacts, demo, cancellationToken);
        if (current is null || current.JobId != message.JobId || current.Delivery > delivery)
        {
            return false;
        }

        await (current with { Delivery = delivery }).WriteAsync(artifacts, demo!, cancellationToken);
        return true;
    }

    public async ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken)
    {
        if (DemoCatalog.Find(message.TargetId) is { } demo)
        {
            await SetAsync(demo, message.JobId, DownloadStatus.XDDOWNLOADFAIL, reason, 0, cancellationToken);
        }
    }

    /// <summary>Writes the download state while this job still owns it.</summary>
    public async Task SetAsync(DemoEntry demo, string jobId, DownloadStatus status, string message, double percent, CancellationToken cancellation)
    {
        var current = await DemoState.ReadAsync(artifacts, demo, cancellation);
        if (current is null || current.JobId != jobId || (JobFence.Current > 0 && current.Delivery > JobFence.Current))
        {
            return;
        }

        await (current with { Status = (int)status, Message = message, Progress = percent }).WriteAsync(artifacts, demo, cancellation);
    }
}
