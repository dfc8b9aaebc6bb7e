using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Export;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Exports a task's checkpoint as ONNX + model.json into <c>save_dir</c> (docs/api-behaviour.md §6):
/// float32 weights for <c>infer</c>, float16 weights for <c>lite</c>.</summary>
public sealed class ExportJobHandler(IMetadataStore metadata, IArtifactStore artifacts, ILogger<ExportJobHandler> logger)
    : TaskJobHandler(metadata, TaskJobTarget.Export(metadata), logger)
{
    protected override async ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters)
    {
        var message = context.Message;
        var saveDir = parameters["save_dir"]!.GetValue<string>();
        var lite = parameters["lite"]?.GetValue<bool>() ?? false;
        try
        {
            var checkpointDir = await artifacts.MaterializeAsync(CheckpointPath(task, Epoch(parameters)), context.Cancellation);
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
            await FailAsync(task, message, failure);
            return;
        }

        await States.SetAsync(task.Id, message.JobId, (int)Contracts.TaskStatus.XEXPORTED, "\n", finished: true);
    }
}
