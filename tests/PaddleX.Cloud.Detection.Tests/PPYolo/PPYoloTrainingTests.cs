using System.Diagnostics;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.PPYolo;

/// <summary>Every PP-YOLO model/backbone pair PaddleX offers builds and learns: a few steps on one small batch of
/// drawn rectangles at 64 px (Adam) give finite losses (every term PP-YOLO adds is present) that fall on average,
/// and detection afterwards returns well-formed boxes. One pair also runs through the shared detection trainer.</summary>
public sealed class PPYoloTrainingTests(ITestOutputHelper output)
{
    private const int Size = 64;
    private const int Steps = 6;

    public static TheoryData<string, string> Pairs()
    {
        var pairs = new TheoryData<string, string>();
        foreach (var model in new[] { "PPYOLO", "PPYOLOTiny", "PPYOLOv2" })
        {
            foreach (var backbone in DetectionModels.Backbones(model))
            {
                pairs.Add(model, backbone);
            }
        }

        return pairs;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Trains_a_few_steps_with_finite_falling_loss(string model, string backbone)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        // Anchors sized for 608-pixel inputs, scaled to these 64-pixel images as the trainer does for small inputs.
        var detector = DetectionModels.Create(model, backbone, 3, new DetectorOptions { InputSize = [Size, Size], AnchorScale = Size / 608.0 * 4 });
        var module = DetectionModels.AsModule(detector);
        Assert.Equal((model, backbone), (detector.Architecture, detector.Backbone));
        module.train();
        var (images, targets) = DrawnBoxes.Batch(seed: 3, count: 2, size: Size);
        using var optimizer = optim.Adam(module.parameters(), 0.001);
        var losses = new List<double>();
        for (var step = 0; step < Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var terms = detector.Losses(images, targets);
            var total = terms.Values.Aggregate((a, b) => a + b);
            total.backward();
            optimizer.step();
            losses.Add(total.item<float>());
            if (step == 0)
            {
                var expected = model == "PPYOLOTiny" ? new[] { "loss_iou" } : ["loss_iou", "loss_iou_aware"];
                Assert.Superset(new HashSet<string>(["loss_xy", "loss_wh", "loss_obj", "loss_cls", .. expected]), terms.Keys.ToHashSet());
            }
        }

        output.WriteLine($"{model}/{backbone}: {string.Join(", ", losses.Select(l => l.ToString("F2")))} in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.All(losses, l => Assert.True(double.IsFinite(l), $"loss {l}"));
        var third = Steps / 3;
        Assert.True(losses.TakeLast(third).Average() < losses.Take(third).Average(), $"loss did not fall: {string.Join(", ", losses)}");

        module.eval();
        var detections = detector.Detect(images, detector.DefaultDetectOptions with { ScoreThreshold = 0.0 });
        Assert.Equal(2, detections.Count);
        foreach (var d in detections)
        {
            Assert.Equal(d.Boxes.shape[0], d.Scores.shape[0]);
            Assert.True(d.Boxes.shape[0] <= 100);
            Assert.True(d.Labels.shape[0] == 0 || d.Labels.max().item<long>() < 3);
        }

        module.Dispose();
    }

    [Fact]
    public void The_shared_detection_trainer_trains_PP_YOLO_with_multi_scale_mixup_expand_and_crop_on()
    {
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 12, MaxSide = 96, Seed = 5 }, valSplit: 0.25, testSplit: 0);
        var dir = Directory.CreateTempSubdirectory("pdx-ppyolo-").FullName;
        try
        {
            var log = new StringWriter();
            var result = Trainers.For("detection").Run(new TrainingRequest
            {
                Params = YoloTrainingTests.Recipe(epochs: 1, side: 64, batch: 3) with
                {
                    Model = "PPYOLO",
                    Backbone = "MobileNetV3_small",
                    RandomShape = true,
                    RandomShapeSizes = [64, 96],
                    UseMixup = true,
                    ExpandImage = true,
                    CropImage = true,
                    LogIntervalSteps = 1,
                },
                DatasetDir = data,
                OutputDir = dir,
                Log = log,
            });
            output.WriteLine(log.ToString());
            Assert.Equal(TrainingOutcome.Completed, result.Outcome);
            Assert.Matches(@"\[TRAIN\] Epoch=1/1, Step=1/[0-9]+, loss=[0-9.]+, lr=[0-9.]+, loss_xy=[0-9.]+, loss_wh=[0-9.]+, loss_obj=[0-9.]+, loss_cls=[0-9.]+, loss_iou=[0-9.]+, loss_iou_aware=[0-9.]+", log.ToString());
            Assert.Matches(@"\[EVAL\] Finished, Epoch=1, bbox_map=[0-9.]+ \.", log.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }
}
