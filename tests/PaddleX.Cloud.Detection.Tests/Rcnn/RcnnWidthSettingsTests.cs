using PaddleX.Cloud.Vision.Detection.Inference;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>The engine settings <c>rcnn_fpn_channels</c> and <c>rcnn_mask_channels</c> narrow Mask R-CNN's pyramid, RPN
/// head and mask branch (the same classes and code path), travel with a checkpoint and refuse negative values.</summary>
public sealed class RcnnWidthSettingsTests
{
    [Fact]
    public void The_narrowing_settings_set_the_pyramid_and_mask_branch_widths_and_refuse_negatives()
    {
        TrainParams p = MaskRcnnTrainerTests.Recipe("ResNet50", 1, 64, 2) with { RcnnFpnChannels = 32, RcnnMaskChannels = 16 };
        using var detector = (MaskRCNN)DetectionModels.Create(p.Model, p.Backbone, 3, DetectorOptions.For(p));
        var shapes = detector.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.shape);
        Assert.Equal([32L, 32, 3, 3], shapes["rpn.head.conv.0.0.weight"]);
        Assert.Equal([16L, 32, 3, 3], shapes["roi_heads.mask_head.0.0.weight"]);
        Assert.Equal([4L, 16, 1, 1], shapes["roi_heads.mask_predictor.mask_fcn_logits.weight"]);

        // A checkpoint records the widths, so prediction, evaluation and export rebuild the same network.
        var state = new CheckpointState { Model = "MaskRCNN", Backbone = "ResNet50", RcnnFpnChannels = 32, RcnnMaskChannels = 16 };
        DetectorOptions rebuilt = DetectorOptions.For(DetectionPredictor.ParamsOf(state));
        Assert.Equal((32, 16), (rebuilt.RcnnFpnChannels, rebuilt.RcnnMaskChannels));

        foreach (TrainParams bad in new[] { p with { RcnnFpnChannels = -1 }, p with { RcnnMaskChannels = -8 }, p with { RcnnRoisPerImage = -1 } })
        {
            Assert.Contains("rcnn_fpn_channels", Assert.Throws<ArgumentException>(() => DetectorOptions.For(bad)).Message);
        }
    }
}
