using System.Diagnostics;
using System.Text.Json;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Models;
using PaddleX.Cloud.Vision.Runtime;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// The training loop every task family shares: device and threads, pretrained weights or resume, the step-indexed
/// learning-rate schedule, the epoch loop with progress and ETA, evaluation and checkpointing every
/// <c>save_interval_epochs</c>, <c>best_model/</c> by the family's metric, the history file, and cooperative
/// cancellation between batches. Failures are logged (<c>Training stop with error!</c>) and rethrown.
/// </summary>
internal static class TrainingLoop
{
    public const string HistoryFile = "train_history.json";

    private static readonly JsonSerializerOptions HistoryJson = new() { WriteIndented = true };

    /// <param name="createFamily">Builds the family part from the parameters and dataset folder (after the seed is set).</param>
    public static TrainingResult Run<TBatch>(
        Func<TrainParams, string, TrainLogWriter, ITrainingFamily<TBatch>> createFamily, TrainingRequest request, CancellationToken cancellationToken)
        where TBatch : ITrainingBatch
    {
        var log = new TrainLogWriter(request.Log, request.OnLogLine, request.Clock);
        NativeHeap.KeepFreedMemory();
        try
        {
            return RunCore(createFamily, request, log, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            log.Write("ERROR", $"{PaddleXLogFormat.TrainError} {ex.GetType().Name}: {ex.Message}");
            throw;
        }
        finally
        {
            NativeHeap.Release();
        }
    }

    /// <summary>The family's optimizer, with the momentum of the checkpoint being resumed when its state fits.
    /// A checkpoint from an older layout (e.g. detection before weight decay moved to its own parameter group)
    /// resumes its weights and schedule with a fresh optimizer state rather than failing.</summary>
    private static optim.Optimizer OpenOptimizer<TBatch>(ITrainingFamily<TBatch> family, TrainParams p, string? resumeCheckpoint, TrainLogWriter log)
        where TBatch : ITrainingBatch
    {
        optim.Optimizer optimizer = family.CreateOptimizer(p);
        if (resumeCheckpoint is null)
        {
            return optimizer;
        }

        string? refused = Checkpoints.TryLoadOptimizer(resumeCheckpoint, optimizer);
        if (refused is null)
        {
            return optimizer;
        }

        optimizer.Dispose();
        log.Write("WARNING", $"optimizer state of {resumeCheckpoint} does not fit this optimizer ({refused}): it starts afresh");
        return family.CreateOptimizer(p);
    }

    private static TrainingResult RunCore<TBatch>(
        Func<TrainParams, string, TrainLogWriter, ITrainingFamily<TBatch>> createFamily, TrainingRequest request, TrainLogWriter log, CancellationToken ct)
        where TBatch : ITrainingBatch
    {
        TrainParams p = request.Params;
        Directory.CreateDirectory(request.OutputDir);
        TorchRuntime.ConfigureThreads(p.TorchThreads);
        Device device = TorchRuntime.SelectDevice(p.WantsCuda);
        if (p.WantsCuda && device.type != DeviceType.CUDA)
        {
            log.Info($"CUDA requested (cuda_visible_devices={p.CudaVisibleDevices}) but not available: training on CPU");
        }

        torch.manual_seed(p.Seed);
        using ITrainingFamily<TBatch> family = createFamily(p, request.DatasetDir, log);
        nn.Module model = family.Model;
        int stepsPerEpoch = family.StepsPerEpoch;
        int numEpochs = Math.Max(1, p.NumEpochs);
        var schedule = new LrSchedule(LrSchedule.ParsePolicy(p.LrPolicy), p.LearningRate, stepsPerEpoch, numEpochs,
            p.LrDecayEpochs, p.WarmupSteps, p.WarmupStartLr);

        string pretrainStatus;
        bool fromScratch = false;
        bool resuming = !string.IsNullOrWhiteSpace(p.ResumeCheckpoint);
        PruningInfo? pruning = null;
        if (resuming)
        {
            pretrainStatus = $"Resuming from {p.ResumeCheckpoint}: pretrain_weights ignored";
            // A pruned network gets its channel counts before the optimiser sees its parameters.
            CheckpointState resumeState = Checkpoints.ReadState(p.ResumeCheckpoint!);
            PrunedNetwork.Rebuild(model, resumeState);
            pruning = resumeState.Pruning;
        }
        else if (!string.IsNullOrWhiteSpace(p.PruneCheckpoint))
        {
            pruning = PruneForRetraining(family, p, log);
            pretrainStatus = $"Pruned the trained model {p.PruneCheckpoint}: pretrain_weights ignored";
        }
        else
        {
            PretrainResult pre = PretrainedWeights.Apply(model, p.Model, p.PretrainWeights, p.PretrainDir, p.WeightsCatalog);
            pretrainStatus = pre.Status;
            fromScratch = !pre.Loaded;
        }

        log.Write(fromScratch ? "WARNING" : "INFO", pretrainStatus);
        model.to(device);
        // After pruning, which may rebuild layers: every BatchNorm the loop will train is guarded.
        BatchNormCounting.Guard(model);
        using optim.Optimizer optimizer = OpenOptimizer(family, p, resuming ? p.ResumeCheckpoint : null, log);

        int startEpoch = 1;
        long globalStep = 0;
        int bestEpoch = 0;
        double bestScore = -1;
        var history = new List<EpochRecord>();
        int skipBatches = 0; // a resume from an interruption checkpoint continues its epoch at this batch
        PartialEpoch? partial = null;
        if (resuming)
        {
            CheckpointState resumed = Checkpoints.Load(p.ResumeCheckpoint!, model);
            family.CheckResume(p.ResumeCheckpoint!, resumed);
            if (resumed.StepsPerEpoch != stepsPerEpoch)
            {
                log.Write("WARNING", $"checkpoint was trained with {resumed.StepsPerEpoch} steps per epoch, now {stepsPerEpoch}: the schedule continues from step {resumed.GlobalStep}");
            }

            startEpoch = resumed.Epoch + 1;
            globalStep = resumed.GlobalStep;
            bestEpoch = resumed.BestEpoch;
            bestScore = resumed.BestAcc1;
            history.AddRange(resumed.History);
            log.Info($"Resume training from {p.ResumeCheckpoint}, epoch {resumed.Epoch}, step {globalStep}");
            if (resumed.EpochStep > 0)
            {
                skipBatches = resumed.EpochStep;
                partial = resumed.Partial;
                log.Info($"Epoch {startEpoch} continues at step {skipBatches + 1}/{stepsPerEpoch}");
            }
        }

        long totalSteps = (long)stepsPerEpoch * numEpochs;
        double emaStepSeconds = 0;
        double lastEvalSeconds = 0;
        string bestName = family.BestMetric;
        string? bestDir = bestEpoch > 0 && Directory.Exists(Path.Combine(request.OutputDir, "best_model"))
            ? Path.Combine(request.OutputDir, "best_model") : null;
        int lastEpoch = startEpoch - 1;

        // The epoch in progress, at method level so an interruption checkpoint can record it.
        int epochDone = 0;
        double lossSum = 0, lr = 0;
        var metricSums = new Dictionary<string, double>(StringComparer.Ordinal);
        int seen = 0;
        log.Info($"Start training {p.Model}: {family.TrainCount} train / {family.ValCount} val images, {family.Labels.Count} classes, " +
                 $"{stepsPerEpoch} steps per epoch, device={device.type}, threads={torch.get_num_threads()}");

        for (int epoch = startEpoch; epoch <= numEpochs; epoch++)
        {
            int firstBatch = epoch == startEpoch ? skipBatches : 0;
            epochDone = firstBatch;
            lossSum = firstBatch > 0 && partial is not null ? partial.LossSum : 0;
            seen = firstBatch > 0 && partial is not null ? partial.Seen : 0;
            metricSums = firstBatch > 0 && partial is not null
                ? new Dictionary<string, double>(partial.MetricSums, StringComparer.Ordinal)
                : new Dictionary<string, double>(StringComparer.Ordinal);
            if (ct.IsCancellationRequested)
            {
                return Cancelled(epoch);
            }

            var epochWatch = Stopwatch.StartNew();
            model.train();
            var stepWatch = Stopwatch.StartNew();
            try
            {
                foreach (var b in family.TrainEpoch(epoch, ct, firstBatch))
                {
                    ct.ThrowIfCancellationRequested();
                    lr = schedule.At(globalStep);
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.LearningRate = lr;
                    }

                    StepResult result = family.TrainStep(b, optimizer, device);
                    if (!double.IsFinite(result.Loss))
                    {
                        throw new InvalidDataException($"the loss became {result.Loss} at epoch {epoch}, step {b.Index + 1}: lower learning_rate");
                    }

                    globalStep++;
                    int step = b.Index + 1;
                    double seconds = stepWatch.Elapsed.TotalSeconds;
                    stepWatch.Restart();
                    emaStepSeconds = emaStepSeconds == 0 ? seconds : 0.9 * emaStepSeconds + 0.1 * seconds;
                    double eta = (totalSteps - globalStep) * emaStepSeconds
                        + (family.CanEvaluate ? lastEvalSeconds * RemainingEvals(epoch, numEpochs, p.SaveIntervalEpochs) : 0);
                    lossSum += result.Loss * b.Count;
                    foreach (var (name, value) in result.Metrics)
                    {
                        metricSums[name] = metricSums.GetValueOrDefault(name) + value * b.Count;
                    }

                    seen += b.Count;
                    epochDone = step;
                    var progress = new TrainingProgress(epoch, numEpochs, step, stepsPerEpoch, globalStep, totalSteps,
                        result.Loss, lr, result.Metrics, emaStepSeconds, eta);
                    if (p.LogIntervalSteps > 0 && step % p.LogIntervalSteps == 0)
                    {
                        log.Raw(PaddleXLogFormat.TrainStep(log.Now, epoch, numEpochs, step, stepsPerEpoch, result.Loss, lr,
                            result.Metrics, emaStepSeconds, eta));
                    }

                    request.OnStep?.Invoke(progress);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Cancelled(epoch);
            }

            if (ct.IsCancellationRequested)
            {
                return Cancelled(epoch);
            }

            var record = new EpochRecord
            {
                Epoch = epoch,
                Loss = seen == 0 ? double.NaN : lossSum / seen,
                LearningRate = lr,
                TrainMetrics = metricSums.ToDictionary(kv => kv.Key, kv => seen == 0 ? 0 : kv.Value / seen, StringComparer.Ordinal),
            };

            bool save = epoch % Math.Max(1, p.SaveIntervalEpochs) == 0 || epoch == numEpochs;
            if (save)
            {
                try
                {
                    family.RefreshNormStatistics(epoch, device, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return Cancelled(epoch);
                }

                EvalResult? eval = null;
                if (family.CanEvaluate)
                {
                    var evalWatch = Stopwatch.StartNew();
                    try
                    {
                        eval = family.Evaluate(device, ct);
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        return Cancelled(epoch);
                    }

                    model.train();
                    lastEvalSeconds = evalWatch.Elapsed.TotalSeconds;
                    record = record with { EvalMetrics = eval.Metrics };
                    log.Raw(PaddleXLogFormat.EvalFinishedFields(log.Now, epoch, eval.LogFields));
                }

                record = record with { Seconds = epochWatch.Elapsed.TotalSeconds };
                history.Add(record);
                string dir = Path.Combine(request.OutputDir, $"epoch_{epoch}");
                double score = eval?.Metrics.GetValueOrDefault(bestName, double.NaN) ?? double.NaN;
                bool isBest = eval is not null && score > bestScore;
                if (isBest)
                {
                    bestScore = score;
                    bestEpoch = epoch;
                }

                var state = State(epoch) with { Metrics = record.EvalMetrics ?? record.TrainMetrics };
                Checkpoints.Save(dir, model, optimizer, state, eval?.Details);
                log.Raw(PaddleXLogFormat.ModelSaved(log.Now, dir));
                DeleteInterrupted(request.OutputDir); // superseded by this epoch checkpoint
                if (isBest)
                {
                    bestDir = Path.Combine(request.OutputDir, "best_model");
                    Checkpoints.CopyTo(dir, bestDir);
                }

                if (bestEpoch > 0)
                {
                    log.Info($"Current evaluated best model on eval_dataset is epoch_{bestEpoch}, {bestName}={PaddleXLogFormat.F6(bestScore)}");
                }
            }
            else
            {
                history.Add(record with { Seconds = epochWatch.Elapsed.TotalSeconds });
            }

            WriteHistory(request.OutputDir, history);
            lastEpoch = epoch;
            request.OnEpochEnd?.Invoke(history[^1]);
        }

        DeleteInterrupted(request.OutputDir);
        log.Info(PaddleXLogFormat.TrainComplete);
        return new TrainingResult(TrainingOutcome.Completed, lastEpoch, globalStep, request.OutputDir, bestDir, bestEpoch, bestScore,
            pretrainStatus, history, bestName);

        // What every checkpoint records: the run's schedule, progress and best model so far, plus the family's fields.
        CheckpointState State(int epoch) => family.Describe(new CheckpointState
        {
            Pruning = pruning,
            Model = p.Model,
            Task = family.Task,
            Labels = family.Labels.ToArray(),
            Epoch = epoch,
            GlobalStep = globalStep,
            StepsPerEpoch = stepsPerEpoch,
            LearningRate = lr,
            LrPolicy = schedule.Policy.ToString(),
            BaseLr = schedule.BaseLr,
            LrDecayEpochs = schedule.DecayEpochs.ToArray(),
            WarmupSteps = schedule.WarmupSteps,
            WarmupStartLr = schedule.WarmupStartLr,
            BestEpoch = bestEpoch,
            BestAcc1 = bestScore,
            BestMetric = bestName,
            History = history,
        });

        TrainingResult Cancelled(int epoch)
        {
            log.Info($"Training cancelled at epoch {lastEpoch + 1}, step {globalStep}");
            if (request.IsShuttingDown?.Invoke() == true)
            {
                // The job goes back to the queue: save where this epoch stands, so the next delivery
                // continues at the next batch instead of repeating the epoch (docs/scaling.md bounds the time).
                string dir = Path.Combine(request.OutputDir, Checkpoints.InterruptedDir);
                Checkpoints.Save(dir, model, optimizer, State(epoch - 1) with
                {
                    EpochStep = epochDone,
                    Partial = new PartialEpoch { LossSum = lossSum, Seen = seen, MetricSums = new Dictionary<string, double>(metricSums, StringComparer.Ordinal) },
                });
                log.Info($"Interrupted at epoch {epoch}, step {epochDone}/{stepsPerEpoch}: saved {dir}");
            }

            WriteHistory(request.OutputDir, history);
            return new TrainingResult(TrainingOutcome.Cancelled, lastEpoch, globalStep, request.OutputDir, bestDir, bestEpoch, bestScore,
                pretrainStatus, history, bestName);
        }
    }

    /// <summary>Loads the parent's trained weights and prunes them with the ratios its sensitivities give for
    /// <c>pruned_flops</c> (or <c>eval_metric_loss</c>), at the run's input size.</summary>
    private static PruningInfo PruneForRetraining<TBatch>(ITrainingFamily<TBatch> family, TrainParams p, TrainLogWriter log)
        where TBatch : ITrainingBatch
    {
        if (string.IsNullOrWhiteSpace(p.SensitivitiesPath) || Sensitivities.TryRead(p.SensitivitiesPath) is not { Complete: true } sensitivities)
        {
            throw new InvalidDataException($"no finished sensitivity analysis at {p.SensitivitiesPath}: run the prune analysis of the parent task first");
        }

        if (p.PrunedFlops is not null && p.PrunedFlops is not (> 0 and < 1))
        {
            throw new ArgumentException($"pruned_flops must be between 0 and 1, not {p.PrunedFlops}");
        }

        CheckpointState parent = Checkpoints.Load(p.PruneCheckpoint!, family.Model);
        int inChannels = family.Describe(new CheckpointState()).InChannels;
        return PrunedNetwork.Prune(family.Model, p.Model, parent.Pruning, sensitivities, p.PrunedFlops, p.PrunedFlops is null ? p.EvalMetricLoss ?? 0.05 : null,
            inChannels, p.Width, p.Height, log.Info);
    }

    /// <summary>Evaluations still to run from <paramref name="epoch"/> on (the current epoch's included).</summary>
    private static int RemainingEvals(int epoch, int numEpochs, int saveInterval)
    {
        int n = 0;
        for (int e = epoch; e <= numEpochs; e++)
        {
            if (e % Math.Max(1, saveInterval) == 0 || e == numEpochs)
            {
                n++;
            }
        }

        return n;
    }

    private static void DeleteInterrupted(string outputDir)
    {
        string dir = Path.Combine(outputDir, Checkpoints.InterruptedDir);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void WriteHistory(string outputDir, List<EpochRecord> history)
    {
        string path = Path.Combine(outputDir, HistoryFile);
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(new { epochs = history }, HistoryJson));
        File.Move(tmp, path, true);
    }
}
