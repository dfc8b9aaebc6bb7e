using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Faster R-CNN through the shared detection trainer: PaddleX's R-CNN loss names in the [TRAIN] line, the
/// [EVAL] bbox_map, and a <c>with_fpn=false</c> checkpoint that the predictor rebuilds as the C4 network. At 32 px:
/// the C4 head runs the last ResNet stage once per RoI, and a smaller picture has fewer anchors, hence RoIs.</summary>
public sealed class FasterRcnnTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void Without_fpn_trains_one_epoch_and_its_checkpoint_predicts_with_the_same_network()
    {
        var (_, data) = DetectionShapes.Prepare(new ShapeDetectionOptions { Count = 10, MaxSide = 96, Seed = 4 }, valSplit: 0.3, testSplit: 0.1);
        string dir = Directory.CreateTempSubdirectory("pdx-rcnn-").FullName;
        try
        {
            var log = new StringWriter();
            var p = YoloTrainingTests.Recipe(epochs: 1, side: 32, batch: 3) with { Model = "FasterRCNN", Backbone = "ResNet50", WithFpn = false, LogIntervalSteps = 1 };
            TrainingResult result = Vision.Training.Trainers.For("detection").Run(new TrainingRequest { Params = p, DatasetDir = data, OutputDir = dir, Log = log });
            output.WriteLine(log.ToString());

            Assert.Equal(TrainingOutcome.Completed, result.Outcome);
            Assert.Matches(@"\[TRAIN\] Epoch=1/1, Step=1/\d+, loss=[0-9.]+, lr=[0-9.]+(, loss_(rpn_cls|rpn_reg|bbox_cls|bbox_reg)=[0-9.]+){4}", log.ToString());
            Assert.Matches(@"\[EVAL\] Finished, Epoch=1, bbox_map=[0-9.]+ \.", log.ToString());

            string best = Path.Combine(dir, "best_model");
            var sample = DetectionDataset.Load(data, "val").Samples[0];
            using var predictor = new DetectionPredictor(best);
            var detector = Assert.IsType<FasterRCNN>(predictor.Detector);
            Assert.False(detector.WithFpn);
            Assert.All(predictor.Predict(PlanarImage.Load(sample.ImagePath)), f => Assert.True(f.X2 <= sample.Width && f.Y2 <= sample.Height && f.Score > 0.05));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
