using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Export;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Exports a task's checkpoint as ONNX + model.json into <c>save_dir</c> (docs/api-behaviour.md §6):
/// float32 weights for <c>infer</c>, float16 weights for <c>lite</c>.</summary>
public sealed partial class ExportJobHandler(IMetadataStore metadata, IArtifactStore artifacts, ILogger<ExportJobHandler> logger) : IJobHandler
{
    private readonly TaskJobStates states = new(metadata, JobKinds.Export);

    public string Kind => JobKinds.Export;

    public ValueTask<JobState?> ReadStateAsync(JobMessage message, CancellationToken cancellationToken) =>
        states.ReadAsync(message.TargetId, cancellationToken);

    public ValueTask OnDeadLetteredAsync(JobMessage message, string reason, CancellationToken cancellationToken) =>
        states.SetAsync(message.TargetId, message.JobId, (int)Contracts.TaskStatus.XEXPORTFAIL, $"导出失败: {reason}\n", finished: true);

    public async ValueTask RunAsync(JobContext context)
    {
        var message = context.Message;
        var task = await metadata.Tasks.GetAsync(message.TargetId, context.Cancellation) ?? throw new OperationCanceledException();
        var parameters = JsonNode.Parse(string.IsNullOrEmpty(message.ParametersJson) ? "{}" : message.ParametersJson) as JsonObject ?? [];
        var epoch = parameters["epoch"] is JsonValue e && e.TryGetValue<int>(out var n) ? n : (int?)null;
        var saveDir = parameters["save_dir"]!.GetValue<string>();
        var lite = parameters["lite"]?.GetValue<bool>() ?? false;
        try
        {
            var checkpointDir = await artifacts.MaterializeAsync($"{task.Path}/output/{(epoch is null ? "best_model" : $"epoch_{epoch}")}", context.Cancellation);
            // Written into a fresh private folder, then published file by file: whatever save_dir
            // already holds (links included) is replaced through the artifact store, never written through.
            var localSave = Directory.CreateTempSubdirectory("paddlex-export-");
            try
            {
                await Task.Run(() => ExportFolder.Write(checkpointDir, localSave.FullName, lite ? OnnxWeights.Float16 : OnnxWeights.Float32), context.Cancellation);
                await artifacts.PublishAsync(localSave.FullName, saveDir, context.Cancellation);
            }
            finally
            {
                localSave.Delete(recursive: true);
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            LogFailed(failure, task.Id);
            await states.SetAsync(task.Id, message.JobId, (int)Contracts.TaskStatus.XEXPORTFAIL, $"{failure.Message}\n", finished: true);
            return;
        }

        await states.SetAsync(task.Id, message.JobId, (int)Contracts.TaskStatus.XEXPORTED, "\n", finished: true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export of {Tid} failed")]
    private partial void LogFailed(Exception failure, string tid);
}
