using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>What the train, evaluate, predict and export jobs share: the state they own on their task
/// (<see cref="TaskJobStates"/>), the task and the job's parameters loaded before the job runs, and
/// recording a failure (logged, then the failure status with the message the user sees).</summary>
public abstract partial class TaskJobHandler(IMetadataStore metadata, TaskJobTarget target, ILogger logger)
    : IJobHandler
{
    protected IMetadataStore Metadata { get; } = metadata;

    protected TaskJobStates States => target.States;

    public string Kind => target.Kind;

    public ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        target.ReadStateAsync(message, cancellationToken);

    public ValueTask<bool> ClaimAsync(JobMessage message, int delivery, CancellationToken cancellationToken) =>
        target.ClaimAsync(message, delivery, cancellationToken);

    public ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken) =>
        target.OnDeadLetteredAsync(message, reason, cancellationToken);

    public async ValueTask RunAsync(JobContext context)
    {
        var task = await Metadata.Tasks.GetAsync(context.Message.TargetId, context.Cancellation) ?? throw new OperationCanceledException();
        var parameters = JsonNode.Parse(string.IsNullOrEmpty(context.Message.ParametersJson) ? "{}" : context.Message.ParametersJson) as JsonObject ?? [];
        await RunAsync(context, task, parameters);
    }

    /// <summary>Runs the job on its task; failures the user can act on go through <see cref="FailAsync"/>.</summary>
    protected abstract ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters);

    /// <summary>Logs the failure and records the failed status with its message; the job releases the state.</summary>
    protected async ValueTask FailAsync(TaskInfo task, JobMessage message, Exception failure)
    {
        LogFailed(logger, failure, Kind, task.Id);
        await States.SetAsync(task.Id, message.JobId, target.FailedStatus, $"{FailureText(failure)}\n", finished: true);
    }

    /// <summary>The first line of a failure: native libraries append their stack traces to the
    /// message, which the task's state and log must not show.</summary>
    public static string FailureText(Exception failure)
    {
        var text = failure.Message;
        var cut = text.IndexOfAny(['\r', '\n']);
        text = cut >= 0 ? text[..cut] : text;
        var native = text.IndexOf("Exception raised from", StringComparison.Ordinal);
        text = native > 0 ? text[..native].TrimEnd() : text;
        return text.Length > 500 ? text[..500] : text;
    }

    /// <summary>Whether a later delivery of this job claimed the task (see JobFence): asked before publishing, so a run
    /// thawed after its lease lapsed does not overwrite the newer run's files in the window before its watcher notices.</summary>
    protected async ValueTask<bool> SupersededAsync(JobContext context, TaskInfo task) =>
        context.IsSuperseded() || (await States.ReadAsync(task.Id, CancellationToken.None))?.Delivery > context.DeliveryCount;

    /// <summary>The optional <c>epoch</c> parameter: null means the best model.</summary>
    protected static int? Epoch(JsonObject parameters) =>
        parameters["epoch"] is JsonValue e && e.TryGetValue<int>(out var n) ? n : null;

    /// <summary>The checkpoint folder of a task, relative to the store: <c>output/best_model</c> or <c>output/epoch_N</c>.</summary>
    protected static string CheckpointPath(TaskInfo task, int? epoch) =>
        $"{task.Path}/output/{(epoch is null ? "best_model" : $"epoch_{epoch}")}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Kind} of {Tid} failed")]
    private static partial void LogFailed(ILogger logger, Exception failure, string kind, string tid);
}
