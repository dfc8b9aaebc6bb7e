using System.Globalization;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>The state an import job owns on its dataset; a job given up by the queue leaves XCOPYFAIL.</summary>
public sealed class ImportJobTarget(IMetadataStore metadata, TimeProvider clock) : IJobTarget
{
    public string Kind => JobKinds.Import;

    public async ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        (await metadata.Datasets.GetAsync(message.TargetId, cancellationToken))?.State;

    public async ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken)
    {
        var claimed = false;
        await metadata.Datasets.UpdateAsync(message.TargetId, d => claimed = JobFence.TryClaim(d.State, message.JobId, delivery), cancellationToken);
        return claimed;
    }

    public async ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken) =>
        await SetStateAsync(message.TargetId, message.JobId, DatasetStatus.XCOPYFAIL, reason, finish: true, cancellationToken);

    /// <summary>Updates the state while this job owns it; false when the dataset is gone or another job owns it.</summary>
    public async Task<bool> SetStateAsync(string did, string jobId, DatasetStatus status, string text, bool finish, CancellationToken cancellation)
    {
        var owned = false;
        await metadata.Datasets.UpdateAsync(
            did,
            d =>
            {
                if (d.State is null || d.State.JobId != jobId || !JobFence.Allows(d.State))
                {
                    return;
                }

                owned = true;

                d.State.Status = (int)status;
                d.State.Message = text;
                d.State.UpdatedTime = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
                if (finish)
                {
                    d.State.JobId = string.Empty;
                    d.State.CancelRequested = false;
                }
            },
            cancellation);
        return owned;
    }
}
