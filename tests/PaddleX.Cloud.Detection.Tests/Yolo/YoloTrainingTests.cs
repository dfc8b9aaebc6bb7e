using System.Diagnostics;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Vision.Detection.Training;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>YOLOv3 through the detection trainer on generated shapes.</summary>
public sealed class YoloTrainingTests(ITestOutputHelper output)
{
    /// <summary>The CI recipe: 128 px, no multi-scale (PaddleX's sizes are 320–608), mixup/expand/crop off so the few
    /// epochs see the shapes as they are, a learning rate for training from scratch, short warmup.</summary>
    internal static TrainParams Recipe(string backbone = "MobileNetV1", int epochs = 12, int side = 128, int batch = 8) => new()
    {
        Model = "YOLOv3",
        Backbone = backbone,
        PretrainWeights = null,
        ImageShape = [side, side],
        BatchSize = batch,
        NumEpochs = epochs,
        LearningRate = Environment.GetEnvironmentVariable("PDX_LR") is { } lr ? double.Parse(lr) : 0.002,
        LrDecayEpochs = [epochs * 3 / 4],
        WarmupSteps = 20,
        WarmupStartLr = 0,
        SaveIntervalEpochs = Environment.GetEnvironmentVariable("PDX_SAVE") is { } s ? int.Parse(s) : epochs,
        UseMixup = false,
        ExpandImage = false,
        CropImage = false,
        RandomShape = false,
        TorchThreads = 2,
        Seed = 3,
    };

    [Fact]
    public void YOLOv3_MobileNetV1_from_scratch_at_128_px_reaches_voc_map_0_8()
    {
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 160, Seed = 11 }, valSplit: 0.2, testSplit: 0.05);
        string dir = Path.Combine(Path.GetTempPath(), "pdx-yolo-" + Guid.NewGuid().ToString("N")[..8]);
        var log = new StringWriter();
        var watch = Stopwatch.StartNew();
        int epochs = Environment.GetEnvironmentVariable("PDX_EPOCHS") is { } e ? int.Parse(e) : 12;
        TrainingResult result = new DetectionTrainer().Run(new TrainingRequest
        {
            Params = Recipe(epochs: epochs),
            DatasetDir = data,
            OutputDir = dir,
            Log = log,
            OnLogLine = l =>
            {
                output.WriteLine(l);
                if (Environment.GetEnvironmentVariable("PDX_TRACE") is { } trace)
                {
                    File.AppendAllText(trace, l + "\n");
                }
            },
        });
        output.WriteLine($"trained in {watch.Elapsed.TotalSeconds:0.0}s; best bbox_map {result.BestAcc1:0.0000} at epoch {result.BestEpoch}");

        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal("bbox_map", result.BestMetric);
        Assert.True(result.BestAcc1 >= 0.8, $"best validation bbox_map {result.BestAcc1:0.0000} < 0.8");
        Assert.Matches(@"\[EVAL\] Finished, Epoch=\d+, bbox_map=[0-9.]+ \.", log.ToString());
        Assert.Matches(@"\[TRAIN\] Epoch=1/\d+, Step=2/\d+, loss=[0-9.]+, .*loss_cls=[0-9.]+, loss_obj=[0-9.]+, loss_wh=[0-9.]+, loss_xy=[0-9.]+", log.ToString());

        // eval_details.json beside the best model: the validation ground truth as a COCO dict and the detections.
        var details = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "best_model", Checkpoints.EvalDetailsFile)))!;
        Assert.Equal(3, details["gt"]!["categories"]!.AsArray().Count);
        var first = details["bbox"]!.AsArray()[0]!;
        Assert.Equal(4, first["bbox"]!.AsArray().Count);
        Assert.NotNull(first["image_id"]);
        Assert.NotNull(first["category_id"]);
        Assert.NotNull(first["score"]);
        Assert.Equal(result.BestAcc1, Vision.Detection.Metrics.VocMap.Evaluate(
            Vision.Detection.Metrics.CocoDataset.Parse(details["gt"]!.ToJsonString()),
            Vision.Detection.Metrics.CocoResult.ParseList(details["bbox"]!.ToJsonString())).Map, 6);
    }
}
