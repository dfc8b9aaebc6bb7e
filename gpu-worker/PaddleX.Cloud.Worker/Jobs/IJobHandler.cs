using PaddleX.Cloud.Datasets.Jobs;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Runs one kind of job. A handler records its own outcome (done, failed with a message the
/// user can act on) on the target and returns; it throws only for faults worth a retry. Reading and
/// failing the target's state (<see cref="IJobTarget"/>) is shared with the API's dead-letter sweep.</summary>
public interface IJobHandler : IJobTarget
{
    ValueTask RunAsync(JobContext context);
}
