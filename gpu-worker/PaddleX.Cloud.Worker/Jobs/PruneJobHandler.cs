using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Slim;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>The sensitivity analysis of a task's best model (<c>POST /project/task/prune</c>): writes
/// <c>prune/out.log</c> (with the <c>Total evaluate iters</c> progress lines), <c>prune/sensitivities.json</c>
/// after every evaluation and <c>prune/sensitivities.png</c> at the end. A stopped, failed or redelivered
/// analysis continues from the evaluations already in sensitivities.json.</summary>
public sealed class PruneJobHandler(IMetadataStore metadata, IArtifactStore artifacts, TrainingOptions options, ILogger<PruneJobHandler> logger)
    : TaskJobHandler(metadata, TaskJobTarget.Prune(metadata), logger)
{
    public const string Folder = "prune";
    public const string PlotFile = "sensitivities.png";

    protected override async ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters)
    {
        var message = context.Message;
        var pruneDir = await artifacts.MaterializeAsync($"{task.Path}/{Folder}", context.Cancellation);
        Directory.CreateDirectory(pruneDir);
        var logPath = Path.Combine(pruneDir, "out.log");
        try
        {
            var project = await Metadata.Projects.GetAsync(task.Pid, context.Cancellation) ?? throw new InvalidDataException($"project {task.Pid} no longer exists");
            var dataset = await Metadata.Datasets.GetAsync(project.Did, context.Cancellation) ?? throw new InvalidDataException($"dataset {project.Did} no longer exists");
            var checkpointDir = await artifacts.MaterializeAsync(CheckpointPath(task, null), context.Cancellation);
            var datasetDir = await artifacts.MaterializeAsync(dataset.Path, context.Cancellation);
            var trainParams = TrainParams.FromJson(string.IsNullOrEmpty(task.ParamsJson) ? "{}" : task.ParamsJson) with
            {
                TorchThreads = options.TorchThreads > 0 ? options.TorchThreads : Environment.ProcessorCount,
            };
            await States.SetAsync(task.Id, message.JobId, (int)PruneStatus.XSPRUNEING, "\n");
            await using var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
            await log.WriteLineAsync(PaddleXLogFormat.Info(DateTime.Now, $"This log file path is {logPath}"));
            var sensitivities = await Task.Run(
                () => SensitivityAnalysis.Run(
                    new SensitivityRequest
                    {
                        Params = trainParams,
                        TaskType = project.Type,
                        DatasetDir = datasetDir,
                        CheckpointDir = checkpointDir,
                        OutputDir = pruneDir,
                        Log = log,
                        // Published after every evaluation: another worker continues from there.
                        OnProgress = (_, _) => PublishAsync(task, pruneDir, CancellationToken.None).AsTask().GetAwaiter().GetResult(),
                    },
                    context.Cancellation),
                CancellationToken.None);
            await File.WriteAllBytesAsync(Path.Combine(pruneDir, PlotFile), SensitivityPlot.Render(sensitivities), CancellationToken.None);
        }
        catch (OperationCanceledException) when (!context.IsShuttingDown())
        {
            // Stopped by the user: the API recorded XSPRUNEEXIT; what was measured stays for the next start.
            await PublishAsync(task, pruneDir, CancellationToken.None);
            await States.SetAsync(task.Id, message.JobId, (int)PruneStatus.XSPRUNEEXIT, "\n", finished: true);
            return;
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            await File.AppendAllTextAsync(logPath, PaddleXLogFormat.Line(DateTime.Now, "ERROR", FailureText(failure)) + "\n", CancellationToken.None);
            await PublishAsync(task, pruneDir, CancellationToken.None);
            await FailAsync(task, message, failure);
            return;
        }

        await PublishAsync(task, pruneDir, CancellationToken.None);
        await States.SetAsync(task.Id, message.JobId, (int)PruneStatus.XSPRUNEDONE, "\n", finished: true);
    }

    private ValueTask PublishAsync(TaskInfo task, string pruneDir, CancellationToken cancellationToken) =>
        artifacts.PublishAsync(pruneDir, $"{task.Path}/{Folder}", cancellationToken);
}
