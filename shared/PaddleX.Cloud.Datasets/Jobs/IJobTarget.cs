using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>The state one kind of job owns on its target (a task, a dataset, a demo download):
/// read it, and record on it that the queue gave the job up. Kept apart from running the job so the
/// API, which has no training engine, can reconcile stranded jobs too.</summary>
public interface IJobTarget
{
    string Kind { get; }

    /// <summary>The state this job owns on its target, or null when the target no longer exists.</summary>
    ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken);

    /// <summary>Marks the state as run by <paramref name="delivery"/> of the job (see <see cref="JobFence"/>); false when the
    /// job no longer owns it or a later delivery claimed it, in which case this delivery must not run.</summary>
    ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken);

    /// <summary>Records on the target that the job was given up after repeated faults.</summary>
    ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken);
}
