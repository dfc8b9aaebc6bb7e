using System.Diagnostics;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Inference;
using PaddleX.Cloud.Vision.Quantisation;
using PaddleX.Cloud.Vision.Slim;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>Train → sensitivity analysis → pruned retraining with pruned_flops 0.3 → export, on the synthetic set.</summary>
public class PrunedRetrainingTests(SyntheticDatasetFixture fixture, ITestOutputHelper output) : IClassFixture<SyntheticDatasetFixture>
{
    /// <summary>How a row trains the parent and retrains its pruned child.</summary>
    /// <param name="ValPerClass">validation images per class: 10 is the shared set (one picture = 2.5 points); a
    /// larger set is generated for the row.</param>
    /// <param name="RetrainDecay">the child's learning-rate decay epoch.</param>
    /// <param name="Ratios">ratios of the sensitivity analysis (null: the service's 0.1 … 0.9).</param>
    public sealed record Row(int ValPerClass, int Epochs, double Lr, int RetrainEpochs, double RetrainLr, int RetrainDecay, double[]? Ratios = null);

    // ResNet18 holds its accuracy with a short retraining at a quarter of the learning rate. MobileNetV2 at 32 px
    // does not: right after the cut (BatchNorm statistics re-estimated) it scores several points below its parent
    // and three epochs at lr/4 did not close the gap, while the parent's own recipe (PaddleX retrains a pruned
    // model with the task's parameters) does. Its validation set is larger so that one picture is one point and a
    // parent that peaks at 1.0 on a lucky epoch does not decide the comparison; three ratios keep the analysis of its
    // 25 groups on those 100 images short (docs/slimming.md).
    public static readonly Dictionary<string, Row> Rows = new(StringComparer.Ordinal)
    {
        ["ResNet18"] = new(ValPerClass: 10, Epochs: 6, Lr: 0.02, RetrainEpochs: 3, RetrainLr: 0.005, RetrainDecay: 3),
        ["MobileNetV2"] = new(ValPerClass: 25, Epochs: 6, Lr: 0.02, RetrainEpochs: 6, RetrainLr: 0.02, RetrainDecay: 4, Ratios: [0.3, 0.6, 0.9]),
    };

    [Theory]
    [InlineData("ResNet18")]
    [InlineData("MobileNetV2")]
    public void Pruned_retraining_keeps_accuracy_with_30_percent_fewer_flops_and_parameters(string model)
    {
        var row = Rows[model];
        using var ownData = row.ValPerClass == 10 ? null : new SyntheticDataset(valPerClass: row.ValPerClass, testPerClass: 1);
        var dataDir = ownData?.Dir ?? fixture.Data.Dir;
        var root = TempDir.Create("pdx-prune-");
        try
        {
            var watch = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            string Elapsed() => $"{watch.Elapsed.TotalSeconds:0.0}s, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0} CPU-s";
            var p = TrainingTests.Small(row.Epochs) with { Model = model, LearningRate = row.Lr, LrDecayEpochs = [row.Epochs - 2] };
            var parent = new ClassificationTrainer().Run(new TrainingRequest { Params = p, DatasetDir = dataDir, OutputDir = Path.Combine(root, "parent") });
            output.WriteLine($"parent acc1 {parent.BestAcc1} at epoch {parent.BestEpoch} ({Elapsed()})");
            Assert.True(parent.BestAcc1 >= 0.9, $"the parent only reached {parent.BestAcc1}");

            var pruneDir = Path.Combine(root, "prune");
            var log = new StringWriter();
            var sensitivities = SensitivityAnalysis.Run(new SensitivityRequest
            {
                Params = p,
                TaskType = "classification",
                DatasetDir = dataDir,
                CheckpointDir = parent.BestModelDir!,
                OutputDir = pruneDir,
                Ratios = row.Ratios ?? Sensitivities.DefaultRatios,
                Log = log,
            }, CancellationToken.None);
            output.WriteLine($"sensitivities: {sensitivities.Total} evaluations ({Elapsed()})");
            Assert.True(sensitivities.Complete);
            Assert.Equal(sensitivities.Total, sensitivities.Done);
            Assert.Contains("Total evaluate iters=", log.ToString(), StringComparison.Ordinal);

            var childLog = new StringWriter();
            var child = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = p with
                {
                    NumEpochs = row.RetrainEpochs,
                    LearningRate = row.RetrainLr,
                    LrDecayEpochs = [row.RetrainDecay],
                    PruneCheckpoint = parent.BestModelDir,
                    SensitivitiesPath = Path.Combine(pruneDir, Sensitivities.FileName),
                    PrunedFlops = 0.3,
                },
                DatasetDir = dataDir,
                OutputDir = Path.Combine(root, "child"),
                Log = childLog,
            });
            output.WriteLine(childLog.ToString().Split('\n').FirstOrDefault(l => l.Contains("Pruned ", StringComparison.Ordinal)));
            output.WriteLine($"child acc1 {child.BestAcc1} at epoch {child.BestEpoch}, by epoch {string.Join(' ', child.History.Select(h => h.EvalMetrics?["acc1"]))} ({Elapsed()})");
            Assert.True(child.BestAcc1 >= parent.BestAcc1 - 0.02, $"pruned {child.BestAcc1} vs parent {parent.BestAcc1}");

            // The exported model is the smaller network, and says so.
            var exportDir = Path.Combine(root, "export");
            var info = ExportFolder.Write(child.BestModelDir!, exportDir, OnnxWeights.Float32);
            var parentInfo = ExportFolder.Write(parent.BestModelDir!, Path.Combine(root, "parent-export"), OnnxWeights.Float32);
            output.WriteLine($"FLOPs {parentInfo.Flops:N0} -> {info.Flops:N0}, parameters {parentInfo.Parameters:N0} -> {info.Parameters:N0}");
            Assert.True(info.Pruned);
            Assert.False(parentInfo.Pruned);
            Assert.True(info.Flops <= parentInfo.Flops * 0.7, $"FLOPs {info.Flops} vs {parentInfo.Flops}");
            Assert.True(info.Parameters <= parentInfo.Parameters * 0.7, $"parameters {info.Parameters} vs {parentInfo.Parameters}");
            Assert.Equal(parentInfo.Flops, info.Pruning!.BaseFlops);
            Assert.Equal(0.3, info.Pruning.PrunedFlops);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(exportDir, ExportFolder.InfoFile)))!;
            Assert.True(json["pruned"]!.GetValue<bool>());
            Assert.Equal(info.Flops, json["flops"]!.GetValue<long>());
            Assert.True(new FileInfo(Path.Combine(exportDir, ExportFolder.OnnxFile)).Length < new FileInfo(Path.Combine(root, "parent-export", ExportFolder.OnnxFile)).Length * 0.75);

            // The pruned child quantises like any model: int8 top-1 within a point of float32. (Its file is about 30 % of
            // float32 rather than 25 %: with few weights per channel the per-channel scales and int32 biases weigh more.)
            var quant = QuantisedExport.Run(child.BestModelDir!, dataDir, Path.Combine(root, "int8"), new QuantisationOptions(CalibrationMethod.Kl), _ => { });
            output.WriteLine($"int8: before {quant.Before["acc1"]:F3}, after {quant.After["acc1"]:F3}, {quant.Info.Quantisation!.FileSize:N0} of {quant.Info.Quantisation.Float32FileSize:N0} bytes ({Elapsed()})");
            Assert.True(Math.Abs(quant.After["acc1"] - quant.Before["acc1"]) <= 0.01, $"int8 top-1 {quant.After["acc1"]} vs float32 {quant.Before["acc1"]}");
            Assert.True(quant.Info.Quantisation.FileSize < quant.Info.Quantisation.Float32FileSize * 0.35);

            // The pruned checkpoint reloads for prediction and resumes training.
            using (var predictor = new ClassificationPredictor(child.BestModelDir!))
            {
                var line = File.ReadLines(Path.Combine(dataDir, "val_list.txt")).First().Split(' ');
                var scores = predictor.Predict(Path.Combine(dataDir, line[0]));
                Assert.Equal(4, scores.Length);
            }

            var resumed = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = p with { NumEpochs = row.RetrainEpochs + 1, LearningRate = row.RetrainLr, ResumeCheckpoint = Path.Combine(root, "child", $"epoch_{row.RetrainEpochs}") },
                DatasetDir = dataDir,
                OutputDir = Path.Combine(root, "child"),
            });
            Assert.Equal(row.RetrainEpochs + 1, resumed.LastEpoch);
            Assert.NotNull(Checkpoints.ReadState(Path.Combine(root, "child", $"epoch_{row.RetrainEpochs + 1}")).Pruning);
            output.WriteLine($"total {Elapsed()}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_pruned_UNet_retrains_and_exports()
    {
        var root = TempDir.Create("pdx-prune-seg-");
        try
        {
            var data = SegmentationShapes.Write(Path.Combine(root, "data"), train: 16, val: 4, test: 0);
            var p = SegmentationTrainingTests.Recipe(epochs: 4);
            var parent = new SegmentationTrainer().Run(new TrainingRequest { Params = p, DatasetDir = data, OutputDir = Path.Combine(root, "parent") });
            var pruneDir = Path.Combine(root, "prune");
            SensitivityRequest Request(TextWriter log, Action<int, int>? onProgress = null) => new()
            {
                Params = p,
                TaskType = "segmentation",
                DatasetDir = data,
                CheckpointDir = parent.BestModelDir!,
                OutputDir = pruneDir,
                Ratios = [0.3, 0.6, 0.9], // the service measures 0.1 … 0.9; three ratios keep this test short
                Log = log,
                OnProgress = onProgress,
            };

            // Stopped after five evaluations, the analysis continues from the sixth.
            using (var stop = new CancellationTokenSource())
            {
                Assert.ThrowsAny<OperationCanceledException>(() => SensitivityAnalysis.Run(Request(TextWriter.Null, (done, _) =>
                {
                    if (done == 5)
                    {
                        stop.Cancel();
                    }
                }), stop.Token));
            }

            Assert.Equal(5, Sensitivities.Read(Path.Combine(pruneDir, Sensitivities.FileName)).Done);
            var log = new StringWriter();
            var evaluations = new List<int>();
            var sensitivities = SensitivityAnalysis.Run(Request(log, (done, _) => evaluations.Add(done)), CancellationToken.None);
            Assert.Contains("continues: 5 of 54 evaluations already done", log.ToString(), StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(6, 49), evaluations);
            Assert.Equal("miou", sensitivities.Metric);
            Assert.Equal(18 * 3, sensitivities.Done);

            var child = new SegmentationTrainer().Run(new TrainingRequest
            {
                Params = p with { NumEpochs = 2, PruneCheckpoint = parent.BestModelDir, SensitivitiesPath = Path.Combine(pruneDir, Sensitivities.FileName), PrunedFlops = 0.3 },
                DatasetDir = data,
                OutputDir = Path.Combine(root, "child"),
            });
            output.WriteLine($"parent miou {parent.BestAcc1}, pruned miou {child.BestAcc1}");
            Assert.True(child.BestAcc1 >= parent.BestAcc1 - 0.1, $"pruned {child.BestAcc1} vs parent {parent.BestAcc1}");
            var info = ExportFolder.Write(child.BestModelDir!, Path.Combine(root, "export"), OnnxWeights.Float32);
            output.WriteLine($"FLOPs {info.Pruning!.BaseFlops:N0} -> {info.Flops:N0}, parameters {info.Pruning.BaseParameters:N0} -> {info.Parameters:N0}");
            Assert.True(info.Pruned);
            Assert.True(info.Flops <= info.Pruning.BaseFlops * 0.7);
            using var predictor = new SegmentationPredictor(child.BestModelDir!);
            Assert.Equal(3, predictor.Labels.Count);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
