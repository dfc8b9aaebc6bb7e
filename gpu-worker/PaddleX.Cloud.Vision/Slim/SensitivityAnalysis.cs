using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Vision.Runtime;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Slim;

/// <summary>Everything a sensitivity analysis needs.</summary>
public sealed class SensitivityRequest
{
    /// <summary>The task's training parameters (model, input size, normalisation, batch size).</summary>
    public required TrainParams Params { get; init; }

    /// <summary>classification, segmentation or remote_segmentation.</summary>
    public required string TaskType { get; init; }

    public required string DatasetDir { get; init; }

    /// <summary>The trained model to analyse (the task's <c>best_model/</c>).</summary>
    public required string CheckpointDir { get; init; }

    /// <summary>The task's <c>prune/</c> folder: sensitivities.json (read to continue, written after every evaluation).</summary>
    public required string OutputDir { get; init; }

    /// <summary>Receives PaddleX-format log lines (<c>prune/out.log</c>).</summary>
    public TextWriter? Log { get; init; }

    public IReadOnlyList<double> Ratios { get; init; } = Sensitivities.DefaultRatios;

    /// <summary>Called after every evaluation with (done, total).</summary>
    public Action<int, int>? OnProgress { get; init; }
}

/// <summary>
/// Sensitivity analysis: for every prunable group of the trained model and every ratio, the weakest channels
/// (filter L1 norm) are masked and the validation set evaluated with the model's evaluation transforms; the
/// relative drop of the first evaluation metric (top-1, mIoU) is the group's loss at that ratio.
/// </summary>
public static class SensitivityAnalysis
{
    public static Sensitivities Run(SensitivityRequest request, CancellationToken cancellationToken)
    {
        var p = request.Params with { ResumeCheckpoint = request.CheckpointDir, PruneCheckpoint = null };
        var log = new TrainLogWriter(request.Log, null, TimeProvider.System);
        // Hundreds of evaluations: the same heap settings as a training, also when the analysis is
        // the first job of a fresh worker process (BENCHMARKS.md, "Training speed").
        NativeHeap.KeepFreedMemory();
        TorchRuntime.ConfigureThreads(p.TorchThreads);
        var device = TorchRuntime.SelectDevice(p.WantsCuda);
        using var family = Trainers.CreateFamily(request.TaskType, p, request.DatasetDir, log);
        if (!family.CanEvaluate)
        {
            throw new InvalidDataException("the dataset has no validation images (val_list.txt): nothing to measure the sensitivity on");
        }

        var model = family.Model;
        var state = Checkpoints.Load(request.CheckpointDir, model);
        var pruner = new ChannelPruner(model, PrunableGroups.For(state.Model, model));
        model.to(device);
        Directory.CreateDirectory(request.OutputDir);
        var path = Path.Combine(request.OutputDir, Sensitivities.FileName);
        var ratios = request.Ratios.ToArray();
        var result = Sensitivities.TryRead(path) is { } previous && previous.Model == state.Model && previous.Ratios.SequenceEqual(ratios)
            && pruner.Groups.All(g => previous.Groups.TryGetValue(g.Name, out var s) && s.Channels == pruner.Channels(g))
            ? previous
            : null;
        var metric = family.BestMetric;
        if (result is null)
        {
            log.Info($"Sensitivity analysis of {state.Model} ({pruner.Groups.Count} channel groups, ratios {string.Join(", ", ratios.Select(Sensitivities.Key))}) on {family.ValCount} validation images");
            var baseline = family.Evaluate(device, cancellationToken).Metrics[metric];
            result = new Sensitivities
            {
                Model = state.Model,
                Metric = metric,
                Base = baseline,
                Ratios = ratios,
                Groups = pruner.Groups.ToDictionary(g => g.Name, g => new GroupSensitivity { Channels = pruner.Channels(g) }, StringComparer.Ordinal),
            };
            result.Write(path);
            log.Info($"Unpruned {metric}={PaddleXLogFormat.F6(baseline)}");
        }
        else
        {
            log.Info($"Sensitivity analysis of {state.Model} continues: {result.Done} of {result.Total} evaluations already done");
        }

        var watch = Stopwatch.StartNew();
        var doneHere = 0;
        foreach (var group in pruner.Groups)
        {
            foreach (var ratio in ratios)
            {
                var key = Sensitivities.Key(ratio);
                if (result.Groups[group.Name].Loss.ContainsKey(key))
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                double value;
                using (pruner.Mask(group, ratio))
                {
                    value = family.Evaluate(device, cancellationToken).Metrics[metric];
                }

                var loss = result.Base == 0 ? 0 : (result.Base - value) / result.Base;
                result.Groups[group.Name].Loss[key] = Math.Round(loss, 6);
                result.Write(path);
                doneHere++;
                var eta = TimeSpan.FromSeconds(watch.Elapsed.TotalSeconds / doneHere * (result.Total - result.Done));
                log.Info($"pruned {group.Name} by {key}: {metric}={PaddleXLogFormat.F6(value)}, loss={PaddleXLogFormat.F6(loss)}");
                // The API parses this line (comma-separated name=value pieces): invariant numbers only.
                log.Info(string.Create(CultureInfo.InvariantCulture, $"Total evaluate iters={result.Total}, current={result.Done}, progress={(double)result.Done / result.Total:0.0000}, eta={(int)eta.TotalHours}:{eta:mm\\:ss}"));
                request.OnProgress?.Invoke(result.Done, result.Total);
            }
        }

        result.Complete = true;
        result.Write(path);
        log.Info($"Sensitivity analysis finished: {path}");
        return result;
    }
}
