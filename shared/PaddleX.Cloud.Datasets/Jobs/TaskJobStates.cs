using System.Globalization;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>Reads and writes the state a task job owns (<c>Task.jobs[kind]</c>), mirroring it into
/// the task's own state (the original's "last operation" status).</summary>
/// <remarks><paramref name="mirror"/> false: the task's own state is left alone (prediction does not
/// change the task status in the original).</remarks>
public sealed class TaskJobStates(IMetadataStore metadata, string kind, bool mirror = true)
{
    public async ValueTask<JobState?> ReadAsync(string tid, CancellationToken cancellationToken) =>
        (await metadata.Tasks.GetAsync(tid, cancellationToken))?.Jobs.GetValueOrDefault(kind);

    /// <summary>Claims the state for a delivery of its job (<see cref="JobFence"/>).</summary>
    public async ValueTask<bool> ClaimAsync(string tid, string jobId, int delivery, CancellationToken cancellationToken)
    {
        var claimed = false;
        await metadata.Tasks.UpdateAsync(tid, t => claimed = JobFence.TryClaim(t.Jobs.GetValueOrDefault(kind), jobId, delivery), cancellationToken);
        return claimed;
    }

    /// <summary>Sets status and message while the job still owns the state; <paramref name="finished"/>
    /// releases it. A job that no longer owns its state (stopped, superseded) changes nothing.</summary>
    public async ValueTask SetAsync(string tid, string jobId, int status, string message, bool finished = false)
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await metadata.Tasks.UpdateAsync(
            tid,
            t =>
            {
                if (!t.Jobs.TryGetValue(kind, out var job) || job.JobId != jobId || !JobFence.Allows(job))
                {
                    return;
                }

                if (!job.CancelRequested)
                {
                    job.Status = status;
                    job.Message = message;
                    if (mirror)
                    {
                        t.State = new JobState { Status = status, Message = message, UpdatedTime = now };
                    }
                }

                job.UpdatedTime = now;
                if (finished)
                {
                    job.JobId = string.Empty;
                    job.CancelRequested = false;
                }
            },
            CancellationToken.None);
    }
}
