using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>The recipe and data that make YOLOv3-MobileNetV1 learn to detect from scratch at 128 px on generated
/// shapes (<see cref="ConvergedYolo"/> trains it once; <see cref="ConvergedYoloTests"/> asserts its VOC mAP), and a
/// check that the evaluation itself can reach 1: the validation ground truth, taken through the evaluation pipeline
/// and mapped back to the pictures as detections are, scores exactly 1.</summary>
public sealed class YoloLearningTests
{
    private const int Side = 128;

    internal static readonly ShapeDetectionOptions Shapes = new() { Count = 200, MinSide = 96, MaxSide = 192, Seed = 5 };

    /// <summary>The API's detection recommendations where they fit a CPU run from scratch: colour jitter at range
    /// 0.5, flips; no multi-scale, mixup, expand or crop (at 128 px they shrink the shapes to a few pixels). Objectness
    /// starts at 0.01; PaddleX's anchors cover the shapes (30–90 px at 128 px) as they are.</summary>
    internal static TrainParams Recipe(int epochs) => YoloTrainingTests.Recipe(epochs, Side, batch: 8) with
    {
        ObjectnessPrior = 0.01,
        LearningRate = 0.004,
        WarmupSteps = 50,
        LrDecayEpochs = [epochs * 2 / 3, epochs * 8 / 9],
        BrightnessRange = 0.5,
        ContrastRange = 0.5,
        SaturationRange = 0.5,
        SaveIntervalEpochs = 4,
        LogIntervalSteps = 20,
    };

    [Fact]
    public void Ground_truth_through_the_evaluation_pipeline_scores_a_map_of_one()
    {
        var (_, data) = DetectionShapes.Prepare(Shapes with { Count = 30 }, valSplit: 0.5, testSplit: 0);
        var set = DetectionDataset.Load(data, "val");
        var loader = new DetectionLoader(set, DetectionPipeline.ForEvaluation(Recipe(1)), batchSize: 4, shuffle: false, dropLast: false, seed: 1);
        var asDetections = new List<CocoResult>();
        foreach (DetectionBatch batch in loader.Epoch(0, CancellationToken.None))
        {
            foreach (DetectionAnnotations a in batch.Items)
            {
                Assert.Equal((Side, Side), (a.InputWidth, a.InputHeight));
                for (int k = 0; k < a.Count; k++)
                {
                    float x1 = a.Boxes[k * 4] / a.ScaleX, y1 = a.Boxes[k * 4 + 1] / a.ScaleY;
                    float x2 = a.Boxes[k * 4 + 2] / a.ScaleX, y2 = a.Boxes[k * 4 + 3] / a.ScaleY;
                    asDetections.Add(new CocoResult { ImageId = a.ImageId, CategoryId = a.Labels[k] + 1, Bbox = [x1, y1, x2 - x1, y2 - y1], Score = 1 });
                }
            }
        }

        var gt = CocoDataset.Parse(set.ToCocoGroundTruth().ToJsonString());
        Assert.Equal(gt.Annotations.Count, asDetections.Count);
        Assert.Equal(1.0, VocMap.Evaluate(gt, asDetections).Map, 6);
    }
}
