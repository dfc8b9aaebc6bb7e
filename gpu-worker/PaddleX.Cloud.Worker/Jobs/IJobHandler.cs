using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Runs one kind of job. A handler records its own outcome (done, failed with a message the
/// user can act on) on the target and returns; it throws only for faults worth a retry.</summary>
public interface IJobHandler
{
    string Kind { get; }

    /// <summary>The state this job owns on its target, or null when the target no longer exists.</summary>
    ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken);

    ValueTask RunAsync(JobContext context);

    /// <summary>Records on the target that the job was given up after repeated faults.</summary>
    ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken);
}
