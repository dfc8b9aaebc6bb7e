using System.Diagnostics;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Inference;
using PaddleX.Cloud.Vision.Slim;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Vision.Tests;

/// <summary>Train → sensitivity analysis → pruned retraining with pruned_flops 0.3 → export, on the synthetic set.</summary>
public class PrunedRetrainingTests(SyntheticDatasetFixture fixture, ITestOutputHelper output) : IClassFixture<SyntheticDatasetFixture>
{
    // MobileNetV2 (groups checked in PruningTests) has no row yet: with this recipe its parent reaches 1.0 top-1 (the
    // BatchNorm refresh fixed its evaluation), but the pruned child (30.0 % fewer FLOPs, 40.1 % fewer parameters)
    // retrained three epochs at lr/4 scored 0.95 — the retraining recipe still needs tuning.
    [Theory]
    [InlineData("ResNet18", 32, 6, 0.02, 3)]
    public void Pruned_retraining_keeps_accuracy_with_30_percent_fewer_flops_and_parameters(string model, int side, int epochs, double lr, int retrainEpochs)
    {
        var root = TempDir.Create("pdx-prune-");
        try
        {
            var watch = Stopwatch.StartNew();
            var p = TrainingTests.Small(epochs) with { Model = model, ImageShape = [side, side], LearningRate = lr, LrDecayEpochs = [epochs - 2] };
            var parent = new ClassificationTrainer().Run(new TrainingRequest { Params = p, DatasetDir = fixture.Data.Dir, OutputDir = Path.Combine(root, "parent") });
            output.WriteLine($"parent acc1 {parent.BestAcc1} at epoch {parent.BestEpoch} ({watch.Elapsed.TotalSeconds:0.0}s)");
            Assert.True(parent.BestAcc1 >= 0.9, $"the parent only reached {parent.BestAcc1}");

            var pruneDir = Path.Combine(root, "prune");
            var log = new StringWriter();
            var sensitivities = SensitivityAnalysis.Run(new SensitivityRequest
            {
                Params = p,
                TaskType = "classification",
                DatasetDir = fixture.Data.Dir,
                CheckpointDir = parent.BestModelDir!,
                OutputDir = pruneDir,
                Log = log,
            }, CancellationToken.None);
            output.WriteLine($"sensitivities: {sensitivities.Total} evaluations ({watch.Elapsed.TotalSeconds:0.0}s)");
            Assert.True(sensitivities.Complete);
            Assert.Equal(sensitivities.Total, sensitivities.Done);
            Assert.Contains("Total evaluate iters=", log.ToString(), StringComparison.Ordinal);

            var childLog = new StringWriter();
            var child = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = p with
                {
                    NumEpochs = retrainEpochs,
                    LearningRate = lr / 4,
                    LrDecayEpochs = [retrainEpochs],
                    PruneCheckpoint = parent.BestModelDir,
                    SensitivitiesPath = Path.Combine(pruneDir, Sensitivities.FileName),
                    PrunedFlops = 0.3,
                },
                DatasetDir = fixture.Data.Dir,
                OutputDir = Path.Combine(root, "child"),
                Log = childLog,
            });
            output.WriteLine(childLog.ToString().Split('\n').FirstOrDefault(l => l.Contains("Pruned ", StringComparison.Ordinal)));
            output.WriteLine($"child acc1 {child.BestAcc1} at epoch {child.BestEpoch} ({watch.Elapsed.TotalSeconds:0.0}s)");
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

            // The pruned checkpoint reloads for prediction and resumes training.
            using (var predictor = new ClassificationPredictor(child.BestModelDir!))
            {
                var line = File.ReadLines(Path.Combine(fixture.Data.Dir, "val_list.txt")).First().Split(' ');
                var scores = predictor.Predict(Path.Combine(fixture.Data.Dir, line[0]));
                Assert.Equal(4, scores.Length);
            }

            var resumed = new ClassificationTrainer().Run(new TrainingRequest
            {
                Params = p with { NumEpochs = retrainEpochs + 1, LearningRate = lr / 4, ResumeCheckpoint = Path.Combine(root, "child", $"epoch_{retrainEpochs}") },
                DatasetDir = fixture.Data.Dir,
                OutputDir = Path.Combine(root, "child"),
            });
            Assert.Equal(retrainEpochs + 1, resumed.LastEpoch);
            Assert.NotNull(Checkpoints.ReadState(Path.Combine(root, "child", $"epoch_{retrainEpochs + 1}")).Pruning);
            output.WriteLine($"total {watch.Elapsed.TotalSeconds:0.0}s");
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
