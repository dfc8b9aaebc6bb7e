using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Detection.Training;
using PaddleX.Cloud.Vision.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Faster R-CNN-ResNet34 with FPN learns: a few epochs from scratch on small generated shapes lift its
/// validation VOC mAP far above the untrained network's. The data pipelines and the optimiser are the detection
/// trainer's; the RoI and proposal counts are cut (PaddleX samples 512 RoIs per picture, whose box head alone would
/// take the whole CPU budget of this test).</summary>
public sealed class FasterRcnnLearningTests(ITestOutputHelper output)
{
    internal static readonly RcnnSettings Small = new()
    {
        RpnPreNmsTopNTrain = 600,
        RpnPostNmsTopNTrain = 300,
        RpnBatchPerImage = 64,
        BoxBatchPerImage = 64,
    };

    [Fact]
    public void A_few_epochs_lift_the_voc_map_of_resnet34_fpn_well_above_the_untrained_network()
    {
        const int Epochs = 4;
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 80, MinSide = 64, MaxSide = 96, Seed = 8 }, valSplit: 0.25, testSplit: 0);
        TrainParams p = YoloTrainingTests.Recipe(Epochs, side: 64, batch: 4) with
        {
            Model = "FasterRCNN",
            Backbone = "ResNet34",
            LearningRate = 0.005, // PaddleX's 0.02 · batch / 16
            BrightnessRange = 0.5,
            ContrastRange = 0.5,
        };
        DetectionDataset trainSet = DetectionDataset.Load(data, "train"), valSet = DetectionDataset.Load(data, "val");
        var train = new DetectionLoader(trainSet, DetectionPipeline.ForTraining(p), p.BatchSize, shuffle: true, dropLast: true, p.Seed);
        var val = new DetectionLoader(valSet, DetectionPipeline.ForEvaluation(p), 8, shuffle: false, dropLast: false, p.Seed);
        var gt = CocoDataset.Parse(valSet.ToCocoGroundTruth().ToJsonString());
        Vision.Runtime.TorchRuntime.ConfigureThreads(2);
        torch.manual_seed(p.Seed);
        using var detector = new FasterRCNN("ResNet34", trainSet.Labels.Count, withFpn: true, Small);

        double untrained = Map(detector, val, gt);
        var (steps, wall, cpu) = TrainingClock.Measure(() =>
        {
            using var optimizer = DetectionFamily.Optimizer(detector, p);
            var schedule = new LrSchedule(LrPolicy.Piecewise, p.LearningRate, train.BatchesPerEpoch, Epochs, [Epochs - 1], warmupSteps: 10);
            int step = 0;
            detector.train();
            for (int epoch = 0; epoch < Epochs; epoch++)
            {
                foreach (DetectionBatch batch in train.Epoch(epoch, CancellationToken.None))
                {
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.LearningRate = schedule.At(step);
                    }

                    using var scope = NewDisposeScope();
                    var losses = detector.Losses(batch.ImagesTensor(CPU), batch.ToTargets(CPU));
                    optimizer.zero_grad();
                    losses.Values.Aggregate((a, b) => a + b).backward();
                    optimizer.step();
                    step++;
                }
            }

            return step;
        });
        double trained = Map(detector, val, gt);
        output.WriteLine($"untrained bbox_map {untrained:F3}; after {Epochs} epochs ({steps} steps) {trained:F3}; {wall:F0} s wall, {cpu:F0} CPU-s");

        Assert.True(untrained < 0.05, $"untrained bbox_map {untrained:F3}");
        Assert.True(trained >= 0.3, $"bbox_map {trained:F3} after {Epochs} epochs (untrained {untrained:F3})");
    }

    /// <summary>VOC mAP of the detector's own post-processing on the validation pictures, mapped back to them.</summary>
    private static double Map(FasterRCNN detector, DetectionLoader val, CocoDataset gt)
    {
        detector.eval();
        var results = new List<CocoResult>();
        foreach (DetectionBatch batch in val.Epoch(0, CancellationToken.None))
        {
            var found = BoxDetection.Detect(detector, batch, CPU, detector.DefaultDetectOptions);
            for (int i = 0; i < found.Count; i++)
            {
                results.AddRange(found[i].Select(d => new CocoResult { ImageId = batch.Items[i].ImageId, CategoryId = d.Label + 1, Bbox = d.Xywh, Score = d.Score }));
            }
        }

        return VocMap.Evaluate(gt, results).Map;
    }
}
