using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Vision.Detection.Data;
using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Mask R-CNN through the shared detection trainer for the <c>instance_segmentation</c> task type, one short
/// epoch per backbone at 64 px on generated shapes with polygon outlines (pyramid and mask branch narrowed to 32
/// channels, so the checkpoint's predictor must rebuild the narrowed network): PaddleX's loss names with
/// <c>loss_mask</c> in the [TRAIN] line, <c>bbox_mmap</c> and <c>segm_mmap</c> in the [EVAL] line, an
/// <c>eval_details.json</c> with RLE mask results that the offline evaluation reads, and a checkpoint whose predictor
/// returns masks in the picture's pixels.</summary>
public sealed class MaskRcnnTrainerTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> Data = new(() => DetectionShapes.Prepare(
        ShapeDetectionGenerator.Write(Path.Combine(TempFolders.Create("pdx-mrcnn-data"), "source"),
            new ShapeDetectionOptions { Count = 6, MinSide = 48, MaxSide = 80, Coco = true, Polygons = true, Seed = 5 }),
        "instance_segmentation", valSplit: 0.3, testSplit: 0.1).Dataset);

    internal static TrainParams Recipe(string backbone, int epochs, int side, int batch) =>
        YoloTrainingTests.Recipe(epochs, side, batch) with { Model = "MaskRCNN", Backbone = backbone, LogIntervalSteps = 1, RcnnRoisPerImage = 16, RcnnFpnChannels = 32, RcnnMaskChannels = 32 };

    public static TheoryData<string> Backbones() => ["ResNet50", "ResNet50_vd", "ResNet50_vd_ssld", "ResNet101", "ResNet101_vd"];

    [Theory]
    [MemberData(nameof(Backbones))]
    public void Backbone_trains_one_epoch_with_mask_loss_and_box_and_mask_metrics(string backbone)
    {
        string dir = TempFolders.Create("pdx-mrcnn");
        var log = new StringWriter();
        TrainingResult result = Vision.Training.Trainers.For("instance_segmentation").Run(new TrainingRequest
        {
            Params = Recipe(backbone, epochs: 1, side: 64, batch: 2), DatasetDir = Data.Value, OutputDir = dir, Log = log,
        });
        output.WriteLine(log.ToString());

        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal(("bbox_mmap", 1), (result.BestMetric, result.BestEpoch));
        Assert.Matches(@"\[TRAIN\] Epoch=1/1, Step=1/\d+, loss=[0-9.]+, lr=[0-9.]+(, loss_(rpn_cls|rpn_reg|bbox_cls|bbox_reg|mask)=[0-9.]+){5}", log.ToString());
        Assert.Contains("loss_mask=", log.ToString());
        Assert.Matches(@"\[EVAL\] Finished, Epoch=1, bbox_mmap=[0-9.]+, segm_mmap=[0-9.]+ \.", log.ToString());
        var eval = TrainLogParser.Parse(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)).EvalMetrics!;
        Assert.True(eval.ContainsKey("bbox_mmap") && eval.ContainsKey("segm_mmap"));

        string best = Path.Combine(dir, "best_model");
        var state = Checkpoints.ReadState(best);
        Assert.Equal(("MaskRCNN", "instance_segmentation"), (state.Model, state.Task));
        AssertEvalDetails(Path.Combine(best, Checkpoints.EvalDetailsFile));

        var sample = DetectionDataset.Load(Data.Value, "val").Samples[0];
        using var predictor = new DetectionPredictor(best);
        Assert.IsType<MaskRCNN>(predictor.Detector);
        var found = predictor.Predict(PlanarImage.Load(sample.ImagePath));
        Assert.All(found, f => Assert.Equal((sample.Height, sample.Width), (f.Mask!.Height, f.Mask.Width)));
    }

    /// <summary>One mask result per box result, as compressed RLE at the picture's size, and the offline
    /// instance-segmentation evaluation reads the file. (After one epoch of a few steps there may be no detection
    /// above the score threshold: the learning test checks the contents.)</summary>
    private static void AssertEvalDetails(string detailsFile)
    {
        var details = DetectionEvalDetails.Load(detailsFile);
        Assert.NotNull(details.Masks);
        Assert.Equal(details.Boxes.Count, details.Masks.Count);
        var raw = JsonNode.Parse(File.ReadAllText(detailsFile))!;
        foreach (var (mask, box) in details.Masks.Zip(details.Boxes))
        {
            var image = details.GroundTruth.Images.Single(i => i.Id == mask.ImageId);
            Assert.Equal((box.ImageId, box.CategoryId, box.Score), (mask.ImageId, mask.CategoryId, mask.Score));
            Assert.Equal([image.Height, image.Width], mask.Segmentation!.Size!);
            Assert.NotNull(mask.Segmentation.Counts);
            Assert.Equal((long)image.Height * image.Width, mask.Segmentation.ToRle(image.Height, image.Width).Counts.Sum(c => (long)c));
        }

        Assert.All(raw["mask"]!.AsArray(), m => Assert.IsType<string>(m!["segmentation"]!["counts"]!.GetValue<string>()));
        var (boxes, masks) = DetectionEvaluation.InstanceSegmentation(details, 0.3, 0.5);
        Assert.Equal(details.GroundTruth.Categories.Count, masks.Classes.Count);
        Assert.Equal(4, boxes.Confusion.GetLength(0));
    }
}
