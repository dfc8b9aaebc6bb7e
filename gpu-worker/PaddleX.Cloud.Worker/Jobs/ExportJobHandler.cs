using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Quantisation;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Exports a task's checkpoint as ONNX + model.json into <c>save_dir</c> (docs/api-behaviour.md §6):
/// float32 weights for <c>infer</c>, float16 weights for <c>lite</c>, int8 (QDQ) for <c>quant</c>
/// (docs/quantisation.md), which also writes its progress to <c>logs/export/out.log</c> and the validation
/// metrics before and after to <c>logs/export/quant_result.json</c>.</summary>
public sealed class ExportJobHandler(IMetadataStore metadata, IArtifactStore artifacts, ILogger<ExportJobHandler> logger)
    : TaskJobHandler(metadata, TaskJobTarget.Export(metadata), logger)
{
    protected override async ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters)
    {
        var message = context.Message;
        var saveDir = parameters["save_dir"]!.GetValue<string>();
        var lite = parameters["lite"]?.GetValue<bool>() ?? false;
        var quant = parameters["quant"]?.GetValue<bool>() ?? false;
        try
        {
            // A previous int8 export's progress and result never describe this run.
            await artifacts.DeleteAsync($"{task.Path}/{QuantLogFormat.LogFile}", context.Cancellation);
            await artifacts.DeleteAsync($"{task.Path}/{QuantLogFormat.ResultFile}", context.Cancellation);
            var checkpointDir = await artifacts.MaterializeAsync(CheckpointPath(task, Epoch(parameters)), context.Cancellation);
            // Written into a fresh private folder, then published file by file: whatever save_dir
            // already holds (links included) is replaced through the artifact store, never written through.
            var localSave = Directory.CreateTempSubdirectory("paddlex-export-");
            try
            {
                if (quant)
                {
                    await QuantiseAsync(context, task, parameters, checkpointDir, localSave.FullName);
                }
                else
                {
                    await Task.Run(() => ExportFolder.Write(checkpointDir, localSave.FullName, lite ? OnnxWeights.Float16 : OnnxWeights.Float32), context.Cancellation);
                }

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

    /// <summary>Post-training int8 quantisation calibrated on the task's training images.</summary>
    private async ValueTask QuantiseAsync(JobContext context, TaskInfo task, JsonObject parameters, string checkpointDir, string localSave)
    {
        var project = await Metadata.Projects.GetAsync(task.Pid, context.Cancellation) ?? throw new InvalidDataException($"project {task.Pid} no longer exists");
        var dataset = await Metadata.Datasets.GetAsync(project.Did, context.Cancellation) ?? throw new InvalidDataException($"dataset {project.Did} no longer exists");
        var datasetDir = await artifacts.MaterializeAsync(dataset.Path, context.Cancellation);
        var options = new QuantisationOptions(QuantisationOptions.ParseMethod(parameters["quant_method"]?.GetValue<string>()) ?? CalibrationMethod.Kl);
        var log = new ExportLog(artifacts, $"{task.Path}/{QuantLogFormat.LogFile}");
        log.Line($"Quantising task {task.Id} to int8 (calibration: {options.MethodName}, up to {options.CalibrationImages} training images, batch 1)");
        var result = await Task.Run(() => QuantisedExport.Run(checkpointDir, datasetDir, localSave, options, log.Line, context.Cancellation), context.Cancellation);
        var json = JsonSerializer.SerializeToUtf8Bytes(new { before = result.Before, after = result.After }, new JsonSerializerOptions { WriteIndented = true });
        await artifacts.WriteAsync($"{task.Path}/{QuantLogFormat.ResultFile}", new MemoryStream(json), context.Cancellation);
    }
}
