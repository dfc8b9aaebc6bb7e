using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Trains a task's model on its project's dataset. Writes <c>out.log</c> in the original's
/// format, checkpoints under <c>output/</c>, progress into the task's job state. A new run starts from
/// an empty <c>output/</c> (the previous run's files are removed) unless it resumes a checkpoint the
/// user chose; <c>output/.job</c> names the job that owns the folder. A redelivered job (the worker
/// died) resumes from the newest complete checkpoint of its own run — also one started from a chosen epoch, whose
/// start removed the checkpoints after that epoch — so at most one epoch is lost; a job
/// handed back on shutdown first saves and publishes <c>output/.interrupted</c>, and its redelivery
/// continues at the next batch.</summary>
public sealed partial class TrainJobHandler(IMetadataStore metadata, IArtifactStore artifacts, TrainingOptions options, ILogger<TrainJobHandler> logger)
    : TaskJobHandler(metadata, TaskJobTarget.Train(metadata), logger)
{
    /// <summary>In <c>output/</c>: the id of the job whose run the checkpoints belong to.</summary>
    public const string OwnerFile = ".job";

    protected override async ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters)
    {
        var message = context.Message;
        var running = (await States.ReadAsync(task.Id, context.Cancellation))?.Status ?? (int)Contracts.TaskStatus.XTRAINING;
        var taskDir = await artifacts.MaterializeAsync(task.Path, context.Cancellation);
        var outputDir = Path.Combine(taskDir, "output");
        var logPath = Path.Combine(taskDir, "out.log");
        var catalogScratch = Path.Combine(Path.GetTempPath(), "paddlex-catalog", message.JobId);
        TrainingResult result;
        InterruptedCheckpoint interrupted;
        try
        {
            var project = await Metadata.Projects.GetAsync(task.Pid, context.Cancellation) ?? throw new InvalidDataException($"project {task.Pid} no longer exists");
            var dataset = await Metadata.Datasets.GetAsync(project.Did, context.Cancellation) ?? throw new InvalidDataException($"dataset {project.Did} no longer exists");
            var trainer = Trainers.For(project.Type);
            var trainParams = await WithPruningAsync(task, parameters, await BuildParamsAsync(task, catalogScratch, context.Cancellation), context.Cancellation);
            var resume = await PrepareOutputAsync(task, message, parameters, context.DeliveryCount, outputDir, context.Cancellation);
            trainParams = trainParams with { ResumeCheckpoint = resume };
            var datasetDir = await artifacts.MaterializeAsync(dataset.Path, context.Cancellation);
            await States.SetAsync(task.Id, message.JobId, running, "\n");

            await using var log = new StreamWriter(logPath, append: resume is not null) { AutoFlush = true };
            await log.WriteLineAsync(PaddleXLogFormat.Info(DateTime.Now, $"This log file path is {logPath}"));
            await log.WriteLineAsync(PaddleXLogFormat.Info(DateTime.Now, resume is null ? $"Training task {task.Id} started (job {message.JobId})" : $"Training task {task.Id} resumes from {resume} (job {message.JobId}, delivery {context.DeliveryCount})"));
            var progress = new ProgressWriter(States, task.Id, message.JobId, running, options.ProgressInterval);
            interrupted = new InterruptedCheckpoint(artifacts, task, outputDir);
            var request = new TrainingRequest
            {
                Params = trainParams,
                DatasetDir = datasetDir,
                OutputDir = outputDir,
                Log = log,
                OnStep = progress.Report,
                OnEpochEnd = _ =>
                {
                    if (SupersededAsync(context, task).AsTask().GetAwaiter().GetResult())
                    {
                        return; // the later delivery's run owns the task's blobs now
                    }

                    PublishAsync(task, outputDir, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    interrupted.DeleteIfSupersededAsync().AsTask().GetAwaiter().GetResult();
                },
                IsShuttingDown = context.IsShuttingDown,
            };
            result = await Task.Run(() => trainer.Run(request, context.Cancellation), CancellationToken.None);
            await interrupted.DeleteIfSupersededAsync();
            LogTrained(task.Id, result.Outcome.ToString(), result.LastEpoch, result.BestMetric, result.BestAcc1);
        }
        catch (Exception failure) when (failure is not OperationCanceledException && !context.IsSuperseded())
        {
            // Deterministic failures (bad data, unsupported model) are recorded, not retried.
            await File.AppendAllTextAsync(logPath, PaddleXLogFormat.Line(DateTime.Now, "ERROR", $"{PaddleXLogFormat.TrainError} {FailureText(failure)}") + "\n", CancellationToken.None);
            await PublishAsync(task, outputDir, CancellationToken.None);
            await FailAsync(task, message, failure);
            return;
        }
        finally
        {
            if (Directory.Exists(catalogScratch))
            {
                Directory.Delete(catalogScratch, recursive: true);
            }
        }

        if (context.IsSuperseded())
        {
            throw new OperationCanceledException(context.Cancellation);
        }

        if (result.Outcome == TrainingOutcome.Cancelled && context.IsShuttingDown())
        {
            // Within the grace period: only what changed since the last epoch's publish, then hand back.
            await interrupted.PublishAsync(logPath);
            throw new OperationCanceledException(context.Cancellation); // handed back; the next delivery resumes
        }

        await PublishAsync(task, outputDir, CancellationToken.None);
        if (result.Outcome == TrainingOutcome.Cancelled)
        {

            // Stopped by the user: the API already recorded XTRAINEXIT; release the state.
            await States.SetAsync(task.Id, message.JobId, (int)Contracts.TaskStatus.XTRAINEXIT, result.BestModelDir is null ? "False" : "True", finished: true);
            return;
        }

        await States.SetAsync(task.Id, message.JobId, (int)Contracts.TaskStatus.XTRAINDONE, "\n", finished: true);
    }

    /// <summary>Decides where the run starts and makes <c>output/</c> fit: the checkpoint the user asked
    /// to resume (folder kept); after a worker death, the newest complete checkpoint of this job's own
    /// run; otherwise nothing, with the previous run's outputs removed. Returns the checkpoint or null.</summary>
    private async ValueTask<string?> PrepareOutputAsync(TaskInfo task, JobMessage message, JsonObject parameters, int deliveryCount, string outputDir, CancellationToken cancellationToken)
    {
        var ownerPath = Path.Combine(outputDir, OwnerFile);
        var owner = File.Exists(ownerPath) ? (await File.ReadAllTextAsync(ownerPath, cancellationToken)).Trim() : null;
        string? resume = null;
        var chosen = parameters["resume_epoch"] is JsonValue value && value.TryGetValue<int>(out var epoch) ? epoch : (int?)null;
        if (deliveryCount > 1 && owner == message.JobId)
        {
            // Redelivered: this run's own progress wins over the epoch it was started from.
            resume = NewestCheckpoint(outputDir) ?? (chosen is { } n ? Path.Combine(outputDir, $"epoch_{n}") : null);
        }
        else if (chosen is { } n)
        {
            resume = Path.Combine(outputDir, $"epoch_{n}");
            await DropEpochsAfterAsync(task, outputDir, n, cancellationToken);
        }

        if (owner != message.JobId)
        {
            // Another run's interruption checkpoint never resumes this one (a user-chosen resume keeps the folder).
            await InterruptedCheckpoint.DeleteAsync(artifacts, task, outputDir, cancellationToken);
        }

        if (resume is null && owner != message.JobId)
        {
            await artifacts.DeleteAsync($"{task.Path}/output", cancellationToken);
            if (Directory.Exists(outputDir))
            {
                Directory.Delete(outputDir, recursive: true);
            }
        }

        Directory.CreateDirectory(outputDir);
        await File.WriteAllTextAsync(ownerPath, message.JobId, cancellationToken);
        await artifacts.PublishAsync(outputDir, $"{task.Path}/output", cancellationToken);
        return resume;
    }

    /// <summary>Removes the checkpoints after <paramref name="epoch"/> when a run resumes it: they belong to the
    /// run that went on from there, which this one replaces epoch by epoch, and leaving them would make a
    /// redelivery of this run (or a later resume) take one of them for this run's progress.</summary>
    private async ValueTask DropEpochsAfterAsync(TaskInfo task, string outputDir, int epoch, CancellationToken cancellationToken)
    {
        foreach (var (dir, n) in EpochCheckpoints(outputDir, completeOnly: false).Where(c => c.Epoch > epoch))
        {
            await artifacts.DeleteAsync($"{task.Path}/output/epoch_{n}", cancellationToken);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>The interruption checkpoint when it is further on than every epoch checkpoint, else the newest epoch checkpoint.</summary>
    private static string? NewestCheckpoint(string outputDir)
    {
        var epoch = NewestEpochCheckpoint(outputDir);
        var interrupted = Path.Combine(outputDir, Checkpoints.InterruptedDir);
        return Checkpoints.IsComplete(interrupted)
            && (epoch is null || Checkpoints.ReadState(interrupted).GlobalStep > Checkpoints.ReadState(epoch).GlobalStep)
            ? interrupted
            : epoch;
    }

    private static string? NewestEpochCheckpoint(string outputDir) =>
        EpochCheckpoints(outputDir, completeOnly: true).OrderByDescending(x => x.Epoch).Select(x => x.Dir).FirstOrDefault();

    private static IEnumerable<(string Dir, int Epoch)> EpochCheckpoints(string outputDir, bool completeOnly) =>
        !Directory.Exists(outputDir)
            ? []
            : Directory.EnumerateDirectories(outputDir, "epoch_*")
                .Where(d => !completeOnly || File.Exists(Path.Combine(d, Checkpoints.SuccessMarker)))
                .Select(d => (Dir: d, Epoch: int.TryParse(Path.GetFileName(d)["epoch_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1))
                .Where(x => x.Epoch >= 0);

    private async ValueTask<TrainParams> BuildParamsAsync(TaskInfo task, string catalogScratch, CancellationToken cancellationToken)
    {
        var stored = JsonNode.Parse(string.IsNullOrEmpty(task.ParamsJson) ? "{}" : task.ParamsJson)!.AsObject();
        stored["torch_threads"] = options.TorchThreads > 0 ? options.TorchThreads : Environment.ProcessorCount;
        stored["pretrain_dir"] = options.WeightsDirectory ?? await artifacts.MaterializeAsync("pretrain", cancellationToken);
        stored["pretrain_weights"] = await ResolveWeightsAsync(stored["pretrain_weights"]?.GetValue<string>(), cancellationToken);
        stored["weights_catalog"] = await WeightsCatalog.LocalFolderAsync(artifacts, options.WeightsCatalog, stored["model"]?.GetValue<string>() ?? string.Empty, stored["pretrain_weights"]?.GetValue<string>(), catalogScratch, cancellationToken);
        return TrainParams.FromJson(stored.ToJsonString());
    }

    /// <summary>A pruned retraining (<c>pruned_flops</c> or <c>eval_metric_loss</c> on a task with a parent) starts
    /// from the parent's best model, pruned with the parent's sensitivities.</summary>
    private async ValueTask<TrainParams> WithPruningAsync(TaskInfo task, JsonObject parameters, TrainParams trainParams, CancellationToken cancellationToken)
    {
        var prunedFlops = parameters["pruned_flops"] is JsonValue f && f.TryGetValue<double>(out var flops) ? flops : (double?)null;
        var metricLoss = parameters["eval_metric_loss"] is JsonValue l && l.TryGetValue<double>(out var loss) ? loss : (double?)null;
        if ((prunedFlops ?? metricLoss) is null || task.ParentId.Length == 0)
        {
            return trainParams;
        }

        var parent = await Metadata.Tasks.GetAsync(task.ParentId, cancellationToken) ?? throw new InvalidDataException($"裁剪训练的父任务{task.ParentId}不存在 (parent task {task.ParentId} not found)");
        var pruneDir = await artifacts.MaterializeAsync($"{parent.Path}/{PruneJobHandler.Folder}", cancellationToken);
        return trainParams with
        {
            PruneCheckpoint = await artifacts.MaterializeAsync($"{parent.Path}/output/best_model", cancellationToken),
            SensitivitiesPath = Path.Combine(pruneDir, Vision.Slim.Sensitivities.FileName),
            PrunedFlops = prunedFlops,
            EvalMetricLoss = prunedFlops is null ? metricLoss : null,
        };
    }

    /// <summary>A pretrained model id (PM0001) or a task id (its best model) becomes that model's
    /// folder; a workspace path is confined to the workspace; a name (IMAGENET) is left to the engine.</summary>
    private async ValueTask<string?> ResolveWeightsAsync(string? weights, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(weights))
        {
            return null;
        }

        if (PretrainedId().IsMatch(weights))
        {
            var model = await Metadata.PretrainedModels.GetAsync(weights, cancellationToken) ?? throw new InvalidDataException($"预训练模型{weights}不存在 (pretrained model {weights} not found)");
            return await artifacts.MaterializeAsync(model.Path, cancellationToken);
        }

        if (TaskId().IsMatch(weights))
        {
            var source = await Metadata.Tasks.GetAsync(weights, cancellationToken) ?? throw new InvalidDataException($"任务{weights}不存在 (task {weights} not found)");
            return await artifacts.MaterializeAsync($"{source.Path}/output/best_model", cancellationToken);
        }

        // Anything but a plain catalog word is a workspace path: a bare file name must never be
        // looked up in the worker's working directory.
        if (!CatalogName().IsMatch(weights))
        {
            if (!artifacts.TryResolve(weights, out var relative))
            {
                throw new InvalidDataException($"预训练权重路径{weights}不在工作空间内 (pretrain_weights path is outside the workspace)");
            }

            var directory = await artifacts.MaterializeAsync(Path.GetDirectoryName(relative)!.Replace('\\', '/'), cancellationToken);
            return Path.Combine(directory, Path.GetFileName(relative));
        }

        return weights;
    }

    private ValueTask PublishAsync(TaskInfo task, string outputDir, CancellationToken cancellationToken) =>
        Directory.Exists(outputDir) ? artifacts.PublishAsync(Path.GetDirectoryName(outputDir)!, task.Path, cancellationToken) : ValueTask.CompletedTask;

    [GeneratedRegex(@"^PM\d{4,}$")]
    private static partial Regex PretrainedId();

    [GeneratedRegex(@"^T\d{4,}$")]
    private static partial Regex TaskId();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex CatalogName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Training of {Tid} ended: {Outcome} at epoch {Epoch}, best {Metric} {Best}")]
    private partial void LogTrained(string tid, string outcome, int epoch, string metric, double best);

    /// <summary>Writes step progress (percent, epoch, ETA) into the job state, at most every interval.</summary>
    private sealed class ProgressWriter(TaskJobStates states, string tid, string jobId, int status, TimeSpan interval)
    {
        private long lastTicks;

        public void Report(TrainingProgress p)
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref lastTicks) < interval.TotalMilliseconds)
            {
                return;
            }

            Interlocked.Exchange(ref lastTicks, now);
            var json = JsonSerializer.Serialize(new
            {
                percent = Math.Round(100.0 * p.GlobalStep / Math.Max(1, p.TotalSteps), 2),
                epoch = p.Epoch,
                num_epochs = p.NumEpochs,
                step = p.Step,
                steps_per_epoch = p.StepsPerEpoch,
                eta = Math.Round(p.EtaSeconds),
                loss = double.IsFinite(p.Loss) ? Math.Round(p.Loss, 6) : (double?)null,
            });
            states.SetAsync(tid, jobId, status, json).AsTask().GetAwaiter().GetResult();
        }
    }
}
