using PaddleX.Cloud.Detection.Tests.Yolo;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Every Faster R-CNN backbone (and the C4 layout without FPN) builds through the registry, takes one
/// training step at 64 px on drawn boxes with the four PaddleX losses finite and the first layer updated, and
/// detects in eval mode with well-formed output.</summary>
public class FasterRcnnBackboneTests
{
    public static TheoryData<string, bool> Backbones() => new()
    {
        { "ResNet34", true },
        { "ResNet34_vd", true },
        { "ResNet50", true },
        { "ResNet50_vd", true },
        { "ResNet101", true },
        { "ResNet101_vd", true },
        { "HRNet_W18", true },
        { "ResNet50", false },
        { "ResNet50_vd", false },
    };

    [Theory]
    [MemberData(nameof(Backbones))]
    public void Backbone_trains_one_step_and_detects(string backbone, bool withFpn)
    {
        torch.set_num_threads(2);
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var detector = (FasterRCNN)DetectionModels.Create("FasterRCNN", backbone, 3, new DetectorOptions { WithFpn = withFpn });
        Assert.Equal(withFpn, detector.WithFpn);
        detector.train();
        var (images, targets) = DrawnBoxes.Batch(seed: 2, count: 2, size: 64);
        var first = detector.parameters().First();
        var before = first.detach().clone();
        using var optimizer = optim.SGD(detector.parameters(), 0.01, momentum: 0.9);

        var losses = detector.Losses(images, targets);

        Assert.Equal(["loss_bbox_cls", "loss_bbox_reg", "loss_rpn_cls", "loss_rpn_reg"], losses.Keys.Order().ToArray());
        Assert.All(losses, l => Assert.True(double.IsFinite(l.Value.item<float>()), $"{l.Key} = {l.Value.item<float>()}"));
        optimizer.zero_grad();
        losses.Values.Aggregate((a, b) => a + b).backward();
        optimizer.step();
        Assert.False(first.detach().allclose(before), $"{backbone}: the first layer did not change");

        detector.eval();
        var detections = detector.Detect(images, new DetectOptions(ScoreThreshold: 0.0, NmsThreshold: 0.5, MaxDetections: 20));
        Assert.Equal(2, detections.Count);
        foreach (var d in detections)
        {
            var n = d.Boxes.shape[0];
            Assert.InRange(n, 0, 20);
            Assert.Equal([n, 4], d.Boxes.shape);
            Assert.Equal([n], d.Scores.shape);
            Assert.True(n == 0 || (d.Labels.min().item<long>() >= 0 && d.Labels.max().item<long>() < 3));
            Assert.True(n == 0 || (d.Boxes.min().item<float>() >= 0 && d.Boxes.max().item<float>() <= 64));
        }

        detector.Dispose();
    }

    [Fact]
    public void Without_fpn_is_honoured_only_for_ResNet50_and_ResNet50_vd_as_in_PaddleX()
    {
        using var detector = new FasterRCNN("ResNet34", 2, withFpn: false);
        Assert.True(detector.WithFpn);
        Assert.Throws<ArgumentException>(() => new FasterRCNN("ResNet18", 2));
        Assert.Equal(["ResNet50", "ResNet50_vd", "ResNet34", "ResNet34_vd", "ResNet101", "ResNet101_vd", "HRNet_W18"], DetectionModels.Backbones("FasterRCNN"));
        Assert.Equal("ResNet50_vd", DetectionModels.ResolveBackbone("FasterRCNN", "ResNet50_vd_ssld"));
    }
}
