using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Detection.Training;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>YOLOv3 through the detection trainer on generated shapes, and what its checkpoint feeds: the offline
/// evaluation's eval_details.json, prediction and export.</summary>
public sealed class YoloTrainingTests(ITestOutputHelper output)
{
    /// <summary>A CI-sized recipe: no multi-scale (PaddleX's sizes are 320–608), mixup/expand/crop off.</summary>
    internal static TrainParams Recipe(int epochs, int side, int batch) => new()
    {
        Model = "YOLOv3",
        Backbone = "MobileNetV1",
        PretrainWeights = null,
        ImageShape = [side, side],
        BatchSize = batch,
        NumEpochs = epochs,
        LearningRate = 0.001,
        LrDecayEpochs = [epochs],
        WarmupSteps = 2,
        UseMixup = false,
        ExpandImage = false,
        CropImage = false,
        RandomShape = false,
        TorchThreads = 2,
        Seed = 3,
    };

    [Theory]
    [InlineData(0.0, 0.0, "anchor_scale")]
    [InlineData(-1.0, 0.0, "anchor_scale")]
    [InlineData(double.NaN, 0.0, "anchor_scale")]
    [InlineData(1.0, 1.0, "objectness_prior")]
    [InlineData(1.0, -0.1, "objectness_prior")]
    public void Anchor_scale_and_objectness_prior_out_of_range_are_refused(double scale, double prior, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => DetectorOptions.For(Recipe(1, 64, 4) with { AnchorScale = scale, ObjectnessPrior = prior }));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void The_objectness_prior_sets_the_initial_objectness_of_every_prediction()
    {
        var detector = (YoloDetector)DetectionModels.Create("YOLOv3", "MobileNetV1", 3, DetectorOptions.For(Recipe(1, 64, 4) with { ObjectnessPrior = 0.01 }));
        using var scope = TorchSharp.torch.NewDisposeScope();
        detector.eval();
        var raw = detector.forward(TorchSharp.torch.zeros(1, 3, 64, 64));
        var objectness = detector.Head.Split(raw[2], 2).Obj.sigmoid();
        Assert.InRange(objectness.mean().item<float>(), 0.005, 0.02);
        detector.Dispose();
    }

    [Fact]
    public void One_epoch_logs_losses_and_bbox_map_and_the_checkpoint_evaluates_predicts_and_exports()
    {
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 14, MaxSide = 128, Seed = 11 }, valSplit: 0.3, testSplit: 0.1);
        string dir = Directory.CreateTempSubdirectory("pdx-yolo-").FullName;
        try
        {
            var log = new StringWriter();
            TrainingResult result = Vision.Training.Trainers.For("detection").Run(new TrainingRequest
            {
                Params = Recipe(epochs: 1, side: 64, batch: 4) with { LogIntervalSteps = 1, AnchorScale = 0.5 },
                DatasetDir = data,
                OutputDir = dir,
                Log = log,
            });
            output.WriteLine(log.ToString());

            Assert.Equal(TrainingOutcome.Completed, result.Outcome);
            Assert.Equal(("bbox_map", 1), (result.BestMetric, result.BestEpoch));
            Assert.Matches(@"\[TRAIN\] Epoch=1/1, Step=1/2, loss=[0-9.]+, lr=[0-9.]+, loss_xy=[0-9.]+, loss_wh=[0-9.]+, loss_obj=[0-9.]+, loss_cls=[0-9.]+", log.ToString());
            Assert.Matches(@"\[EVAL\] Finished, Epoch=1, bbox_map=[0-9.]+ \.", log.ToString());
            var eval = TrainLogParser.Parse(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)).EvalMetrics!;
            Assert.True(eval.ContainsKey("bbox_map"));

            // eval_details.json beside the best model: the validation ground truth as a COCO dict and the detections
            // in original picture pixels; the offline VOC mAP of that file is the logged one.
            string best = Path.Combine(dir, "best_model");
            var details = JsonNode.Parse(File.ReadAllText(Path.Combine(best, Checkpoints.EvalDetailsFile)))!;
            var gt = CocoDataset.Parse(details["gt"]!.ToJsonString());
            var detections = CocoResult.ParseList(details["bbox"]!.ToJsonString());
            Assert.Equal(3, gt.Categories.Count);
            Assert.NotEmpty(detections);
            foreach (var d in detections)
            {
                var image = gt.Images.Single(i => i.Id == d.ImageId);
                Assert.InRange(d.CategoryId, 1, 3);
                Assert.True(d.Bbox![0] >= 0 && d.Bbox[1] >= 0 && d.Bbox[0] + d.Bbox[2] <= image.Width + 1e-3 && d.Bbox[1] + d.Bbox[3] <= image.Height + 1e-3);
            }

            Assert.Equal(result.BestAcc1, VocMap.Evaluate(gt, detections).Map, 6);

            // The checkpoint predicts a picture (boxes in its pixels, with the anchors it was trained with) and
            // exports with its post-processing.
            var sample = DetectionDataset.Load(data, "val").Samples[0];
            using (var predictor = new DetectionPredictor(best))
            {
                Assert.Equal((5f, 6.5f), Assert.IsType<YoloDetector>(predictor.Detector).Options.Anchors[0]);
                var found = predictor.Predict(PlanarImage.Load(sample.ImagePath));
                Assert.NotEmpty(found);
                Assert.All(found, f => Assert.True(f.X2 <= sample.Width && f.Y2 <= sample.Height && f.Score > 0));
            }

            string exported = Path.Combine(dir, "export");
            var info = ExportFolder.Write(best, exported, OnnxWeights.Float16);
            Assert.Equal(("detection", "detector", false), (info.Task, info.ModelType, info.DynamicSize));
            Assert.Equal(["boxes", "scores", "classes"], info.Outputs);
            Assert.True(new FileInfo(Path.Combine(exported, ExportFolder.OnnxFile)).Length > 1000);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
