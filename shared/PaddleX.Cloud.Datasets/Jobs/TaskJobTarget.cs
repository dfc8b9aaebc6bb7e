using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Datasets.Jobs;

/// <summary>The state a train, prune, evaluate, predict or export job owns on its task (<see cref="TaskJobStates"/>)
/// and the failure it records when the queue gives the job up.</summary>
public sealed class TaskJobTarget(IMetadataStore metadata, string kind, int failedStatus, string deadLetterPrefix, bool mirror = true) : IJobTarget
{
    public string Kind => kind;

    /// <summary>The status a failed job leaves on the task.</summary>
    public int FailedStatus => failedStatus;

    public TaskJobStates States { get; } = new(metadata, kind, mirror);

    public static TaskJobTarget Train(IMetadataStore metadata) =>
        new(metadata, JobKinds.Train, (int)Contracts.TaskStatus.XTRAINFAIL, "训练失败");

    public static TaskJobTarget Evaluate(IMetadataStore metadata) =>
        new(metadata, JobKinds.Evaluate, (int)Contracts.TaskStatus.XEVALUATEFAIL, "评估失败");

    // Prediction does not change the task's own status in the original.
    public static TaskJobTarget Predict(IMetadataStore metadata) =>
        new(metadata, JobKinds.Predict, (int)PredictStatus.XPREFAIL, "预测失败", mirror: false);

    public static TaskJobTarget Export(IMetadataStore metadata) =>
        new(metadata, JobKinds.Export, (int)Contracts.TaskStatus.XEXPORTFAIL, "导出失败");

    // The analysis has its own status family (PruneStatus); the task's status is set to XPRUNEING when it starts.
    public static TaskJobTarget Prune(IMetadataStore metadata) =>
        new(metadata, JobKinds.Prune, (int)PruneStatus.XSPRUNEFAIL, "裁剪分析失败", mirror: false);

    public ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        States.ReadAsync(message.TargetId, cancellationToken);

    public ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken) =>
        States.SetAsync(message.TargetId, message.JobId, failedStatus, $"{deadLetterPrefix}: {reason}\n", finished: true);
}
