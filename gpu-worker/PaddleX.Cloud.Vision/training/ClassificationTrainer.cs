using System.Diagnostics;
using System.Text.Json;
using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Metrics;
using PaddleX.Cloud.Vision.Models;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Training;

/// <summary>
/// PaddleX-compatible image classification training: Momentum SGD (0.9, weight decay 1e-4) with a
/// Piecewise/Cosine/Linear schedule and optional linear warmup, cross-entropy loss, evaluation and
/// checkpointing every <c>save_interval_epochs</c>, <c>best_model/</c> by validation top-1, resume from
/// <c>epoch_N</c>, and cooperative cancellation between batches.
/// </summary>
public sealed class ClassificationTrainer : ITrainer
{
    public const string HistoryFile = "train_history.json";

    private static readonly JsonSerializerOptions HistoryJson = new() { WriteIndented = true };

    public TrainingResult Run(TrainingRequest request, CancellationToken cancellationToken = default)
    {
        var log = new TrainLogWriter(request.Log, request.OnLogLine, request.Clock);
        try
        {
            return RunCore(request, log, cancellationToken);
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
    }

    private static TrainingResult RunCore(TrainingRequest request, TrainLogWriter log, CancellationToken ct)
    {
        TrainParams p = request.Params;
        Directory.CreateDirectory(request.OutputDir);
        if (!ClassificationModels.IsKnown(p.Model))
        {
            throw new ArgumentException($"Unknown classification model '{p.Model}'. Valid models: {string.Join(", ", ClassificationModels.Names)}.");
        }

        if (p.Width < ClassificationModels.MinInputSize || p.Height < ClassificationModels.MinInputSize)
        {
            throw new ArgumentException($"image_shape must be at least {ClassificationModels.MinInputSize}x{ClassificationModels.MinInputSize}");
        }

        TorchRuntime.ConfigureThreads(p.TorchThreads);
        Device device = TorchRuntime.SelectDevice(p.WantsCuda);
        if (p.WantsCuda && device.type != DeviceType.CUDA)
        {
            log.Info($"CUDA requested (cuda_visible_devices={p.CudaVisibleDevices}) but not available: training on CPU");
        }

        IReadOnlyList<string> labels = ClassificationDataset.ReadLabels(request.DatasetDir);
        ClassificationDataset train = ClassificationDataset.Load(request.DatasetDir, "train_list.txt", labels);
        ClassificationDataset? val = ClassificationDataset.TryLoad(request.DatasetDir, "val_list.txt", labels);
        if (train.Count == 0)
        {
            throw new InvalidDataException("train_list.txt is empty");
        }

        int batch = Math.Min(p.BatchSize, train.Count);
        if (batch < p.BatchSize)
        {
            log.Info($"batch_size {p.BatchSize} is larger than the {train.Count} training samples: using {batch}");
        }

        var trainTransforms = new ClassificationTransforms(p.Width, p.Height, p.ImageMean, p.ImageStd, p.ToAugmentOptions());
        var evalTransforms = new ClassificationTransforms(p.Width, p.Height, p.ImageMean, p.ImageStd);
        var trainLoader = new BatchLoader(train.Samples, trainTransforms, batch, shuffle: true, augment: true, dropLast: true,
            seed: p.Seed, decodeWorkers: p.DecodeWorkers, prefetchBatches: p.PrefetchBatches);
        var evalLoader = val is null || val.Count == 0
            ? null
            : new BatchLoader(val.Samples, evalTransforms, p.EvalBatchSize > 0 ? p.EvalBatchSize : Math.Max(batch, 8), shuffle: false,
                augment: false, dropLast: false, seed: p.Seed, decodeWorkers: p.DecodeWorkers, prefetchBatches: p.PrefetchBatches);
        int stepsPerEpoch = trainLoader.BatchesPerEpoch;
        int numEpochs = Math.Max(1, p.NumEpochs);
        int topK = Math.Min(5, labels.Count);
        string accKName = $"acc{topK}";
        var schedule = new LrSchedule(LrSchedule.ParsePolicy(p.LrPolicy), p.LearningRate, stepsPerEpoch, numEpochs,
            p.LrDecayEpochs, p.WarmupSteps, p.WarmupStartLr);

        torch.manual_seed(p.Seed);
        string? layout = string.IsNullOrWhiteSpace(p.ResumeCheckpoint) ? PretrainedWeights.LayoutFor(p.Model, p.PretrainWeights, p.PretrainDir, p.WeightsCatalog) : Checkpoints.ReadState(p.ResumeCheckpoint).Layout;
        using nn.Module<Tensor, Tensor> model = ClassificationModels.Create(p.Model, labels.Count, layout);
        string pretrainStatus;
        bool fromScratch = false;
        CheckpointState? resumed = null;
        if (!string.IsNullOrWhiteSpace(p.ResumeCheckpoint))
        {
            pretrainStatus = $"Resuming from {p.ResumeCheckpoint}: pretrain_weights ignored";
        }
        else
        {
            PretrainResult pre = PretrainedWeights.Apply(model, p.Model, p.PretrainWeights, p.PretrainDir, p.WeightsCatalog);
            pretrainStatus = pre.Status;
            fromScratch = !pre.Loaded;
        }

        log.Write(fromScratch ? "WARNING" : "INFO", pretrainStatus);
        model.to(device);
        using var optimizer = torch.optim.SGD(model.parameters(), p.LearningRate, momentum: p.Momentum, weight_decay: p.WeightDecay);

        int startEpoch = 1;
        long globalStep = 0;
        int bestEpoch = 0;
        double bestAcc1 = -1;
        var history = new List<EpochRecord>();
        if (!string.IsNullOrWhiteSpace(p.ResumeCheckpoint))
        {
            resumed = Checkpoints.Load(p.ResumeCheckpoint, model, optimizer);
            if (resumed.Model != p.Model || resumed.Labels.Length != labels.Count)
            {
                throw new InvalidDataException($"checkpoint {p.ResumeCheckpoint} is a {resumed.Model} with {resumed.Labels.Length} classes, not {p.Model} with {labels.Count}");
            }

            if (resumed.StepsPerEpoch != stepsPerEpoch)
            {
                log.Write("WARNING", $"checkpoint was trained with {resumed.StepsPerEpoch} steps per epoch, now {stepsPerEpoch}: the schedule continues from step {resumed.GlobalStep}");
            }

            startEpoch = resumed.Epoch + 1;
            globalStep = resumed.GlobalStep;
            bestEpoch = resumed.BestEpoch;
            bestAcc1 = resumed.BestAcc1;
            history.AddRange(resumed.History);
            log.Info($"Resume training from {p.ResumeCheckpoint}, epoch {resumed.Epoch}, step {globalStep}");
        }

        using var lossFn = nn.CrossEntropyLoss();
        long totalSteps = (long)stepsPerEpoch * numEpochs;
        double emaStepSeconds = 0;
        double lastEvalSeconds = 0;
        string? bestDir = bestEpoch > 0 && Directory.Exists(Path.Combine(request.OutputDir, "best_model"))
            ? Path.Combine(request.OutputDir, "best_model") : null;
        int lastEpoch = startEpoch - 1;
        log.Info($"Start training {p.Model}: {train.Count} train / {val?.Count ?? 0} val images, {labels.Count} classes, " +
                 $"{stepsPerEpoch} steps per epoch, device={device.type}, threads={torch.get_num_threads()}");

        for (int epoch = startEpoch; epoch <= numEpochs; epoch++)
        {
            if (ct.IsCancellationRequested)
            {
                return Cancelled();
            }

            var epochWatch = Stopwatch.StartNew();
            model.train();
            double lossSum = 0, acc1Sum = 0, accKSum = 0, lr = 0;
            int seen = 0;
            var stepWatch = Stopwatch.StartNew();
            try
            {
                foreach (HostBatch b in trainLoader.Epoch(epoch, ct))
                {
                    ct.ThrowIfCancellationRequested();
                    lr = schedule.At(globalStep);
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.LearningRate = lr;
                    }

                    (double lossValue, double acc1, double accK) = TrainStep(model, optimizer, lossFn, b, device, topK);

                    globalStep++;
                    int step = b.Index + 1;
                    double seconds = stepWatch.Elapsed.TotalSeconds;
                    stepWatch.Restart();
                    emaStepSeconds = emaStepSeconds == 0 ? seconds : 0.9 * emaStepSeconds + 0.1 * seconds;
                    double eta = (totalSteps - globalStep) * emaStepSeconds + (evalLoader is null ? 0 : lastEvalSeconds * RemainingEvals(epoch, numEpochs, p.SaveIntervalEpochs));
                    lossSum += lossValue * b.Count;
                    acc1Sum += acc1 * b.Count;
                    accKSum += accK * b.Count;
                    seen += b.Count;
                    var metrics = new Dictionary<string, double> { ["acc1"] = acc1, [accKName] = accK };
                    var progress = new TrainingProgress(epoch, numEpochs, step, stepsPerEpoch, globalStep, totalSteps,
                        lossValue, lr, metrics, emaStepSeconds, eta);
                    if (p.LogIntervalSteps > 0 && step % p.LogIntervalSteps == 0)
                    {
                        log.Raw(PaddleXLogFormat.TrainStep(log.Now, epoch, numEpochs, step, stepsPerEpoch, lossValue, lr,
                            metrics, emaStepSeconds, eta));
                    }

                    request.OnStep?.Invoke(progress);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Cancelled();
            }

            if (ct.IsCancellationRequested)
            {
                return Cancelled();
            }

            var record = new EpochRecord
            {
                Epoch = epoch,
                Loss = seen == 0 ? double.NaN : lossSum / seen,
                LearningRate = lr,
                TrainMetrics = new Dictionary<string, double>
                {
                    ["acc1"] = seen == 0 ? 0 : acc1Sum / seen,
                    [accKName] = seen == 0 ? 0 : accKSum / seen,
                },
            };

            bool save = epoch % Math.Max(1, p.SaveIntervalEpochs) == 0 || epoch == numEpochs;
            if (save)
            {
                ClassificationReport? report = null;
                object? evalDetails = null;
                if (evalLoader is not null)
                {
                    var evalWatch = Stopwatch.StartNew();
                    try
                    {
                        (report, evalDetails) = Evaluate(model, evalLoader, labels, device, ct);
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        return Cancelled();
                    }

                    lastEvalSeconds = evalWatch.Elapsed.TotalSeconds;

                    record = record with
                    {
                        EvalMetrics = new Dictionary<string, double> { ["acc1"] = report.Acc1, [accKName] = report.AccK },
                    };
                    log.Raw(PaddleXLogFormat.EvalFinished(log.Now, epoch, record.EvalMetrics));
                }

                record = record with { Seconds = epochWatch.Elapsed.TotalSeconds };
                history.Add(record);
                string dir = Path.Combine(request.OutputDir, $"epoch_{epoch}");
                bool isBest = report is not null && report.Acc1 > bestAcc1;
                if (isBest)
                {
                    bestAcc1 = report!.Acc1;
                    bestEpoch = epoch;
                }

                var state = new CheckpointState
                {
                    Model = p.Model,
                    Layout = layout,
                    Labels = labels.ToArray(),
                    ImageShape = [p.Width, p.Height],
                    ImageMean = p.ImageMean,
                    ImageStd = p.ImageStd,
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
                    BestAcc1 = bestAcc1,
                    Metrics = record.EvalMetrics ?? record.TrainMetrics,
                    History = history,
                };
                Checkpoints.Save(dir, model, optimizer, state, evalDetails);
                log.Raw(PaddleXLogFormat.ModelSaved(log.Now, dir));
                if (isBest)
                {
                    bestDir = Path.Combine(request.OutputDir, "best_model");
                    Checkpoints.CopyTo(dir, bestDir);
                    log.Info($"Current evaluated best model on eval_dataset is epoch_{bestEpoch}, acc1={PaddleXLogFormat.F6(bestAcc1)}");
                }
                else if (bestEpoch > 0)
                {
                    log.Info($"Current evaluated best model on eval_dataset is epoch_{bestEpoch}, acc1={PaddleXLogFormat.F6(bestAcc1)}");
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

        log.Info(PaddleXLogFormat.TrainComplete);
        return new TrainingResult(TrainingOutcome.Completed, lastEpoch, globalStep, request.OutputDir, bestDir, bestEpoch, bestAcc1,
            pretrainStatus, history);

        TrainingResult Cancelled()
        {
            log.Info($"Training cancelled at epoch {lastEpoch + 1}, step {globalStep}");
            WriteHistory(request.OutputDir, history);
            return new TrainingResult(TrainingOutcome.Cancelled, lastEpoch, globalStep, request.OutputDir, bestDir, bestEpoch, bestAcc1,
                pretrainStatus, history);
        }
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

    /// <summary>One optimisation step on a host batch; every tensor it creates is disposed before it returns.</summary>
    public static (double Loss, double Acc1, double AccK) TrainStep(
        nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, nn.Module<Tensor, Tensor, Tensor> lossFn, HostBatch b, Device device, int topK)
    {
        using var scope = torch.NewDisposeScope();
        Tensor x = torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device);
        Tensor y = torch.tensor(b.Labels).to(device);
        Tensor logits = model.call(x);
        Tensor loss = lossFn.call(logits, y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        double lossValue = loss.item<float>();
        (double acc1, double accK) = BatchAccuracy(logits.detach(), y, topK);
        return (lossValue, acc1, accK);
    }

    /// <summary>Top-1 and top-k accuracy of one batch.</summary>
    public static (double Acc1, double AccK) BatchAccuracy(Tensor logits, Tensor labels, int k)
    {
        using var scope = torch.NewDisposeScope();
        var (_, idx) = logits.topk(k, dim: 1);
        Tensor hits = idx.eq(labels.unsqueeze(1));
        double acc1 = hits.narrow(1, 0, 1).to_type(ScalarType.Float32).mean().item<float>();
        double accK = hits.any(1).to_type(ScalarType.Float32).mean().item<float>();
        return (acc1, accK);
    }

    /// <summary>Evaluates on a loader under no_grad/eval mode; returns the report and eval_details.json content.</summary>
    public static (ClassificationReport Report, object Details) Evaluate(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, IReadOnlyList<string> labels, Device device, CancellationToken ct)
    {
        var metrics = new ClassificationMetrics(labels, 5);
        var trueLabels = new List<long>();
        var scores = new List<float[]>();
        model.eval();
        using (torch.no_grad())
        {
            foreach (HostBatch b in loader.Epoch(0, ct))
            {
                using var scope = torch.NewDisposeScope();
                Tensor x = torch.tensor(b.Data, [b.Count, b.Channels, b.Height, b.Width]).to(device);
                Tensor prob = model.call(x).softmax(1).cpu();
                float[] flat = prob.data<float>().ToArray();
                metrics.AddBatch(b.Labels, flat);
                int c = labels.Count;
                for (int i = 0; i < b.Count; i++)
                {
                    trueLabels.Add(b.Labels[i]);
                    scores.Add(flat.AsSpan(i * c, c).ToArray());
                }
            }
        }

        model.train();
        var details = new Dictionary<string, object>
        {
            ["label_list"] = labels,
            ["true_labels"] = trueLabels,
            ["pred_scores"] = scores,
        };
        return (metrics.Report(), details);
    }

    private static void WriteHistory(string outputDir, List<EpochRecord> history)
    {
        string path = Path.Combine(outputDir, HistoryFile);
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(new { epochs = history }, HistoryJson));
        File.Move(tmp, path, true);
    }
}

/// <summary>Writes timestamped PaddleX log lines to a writer and a callback.</summary>
internal sealed class TrainLogWriter(TextWriter? writer, Action<string>? onLine, TimeProvider clock)
{
    public DateTime Now => clock.GetLocalNow().DateTime;

    public void Info(string message) => Write("INFO", message);

    public void Write(string level, string message) => Raw(PaddleXLogFormat.Line(Now, level, message));

    public void Raw(string line)
    {
        if (writer is not null)
        {
            lock (writer)
            {
                writer.WriteLine(line);
                writer.Flush();
            }
        }

        onLine?.Invoke(line);
    }
}
