using PaddleX.Cloud.Vision.Detection.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

/// <summary>Every YOLOv3 backbone trains a few steps at 64 px on drawn boxes: the four losses are finite, the
/// gradient reaches the first layer, and the loss on the batch falls.</summary>
public class YoloBackboneTrainingTests
{
    [Theory]
    [InlineData("MobileNetV1")]
    [InlineData("MobileNetV3")]
    [InlineData("DarkNet53")]
    [InlineData("ResNet34")]
    public void Backbone_trains_on_drawn_boxes(string backbone)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(7);
        IDetector detector = DetectionModels.Create("YOLOv3", backbone, 3);
        var module = DetectionModels.AsModule(detector);
        module.train();
        var (images, targets) = DrawnBoxes.Batch(seed: 1, count: 2, size: 64);
        using var optimizer = optim.SGD(module.parameters(), 1e-3, momentum: 0.9);
        var first = module.parameters().First();
        var before = first.detach().clone();
        double start = 0, end = 0;
        for (int step = 0; step < 3; step++)
        {
            using var stepScope = NewDisposeScope();
            var losses = detector.Losses(images, targets);
            Assert.Equal(["loss_cls", "loss_obj", "loss_wh", "loss_xy"], losses.Keys.Order().ToArray());
            Tensor total = losses.Values.Aggregate((a, b) => a + b);
            double value = total.item<float>();
            Assert.True(double.IsFinite(value), $"{backbone}: loss {value}");
            (start, end) = step == 0 ? (value, value) : (start, value);
            optimizer.zero_grad();
            total.backward();
            optimizer.step();
        }

        Assert.True(end < start, $"{backbone}: loss {start} → {end}");
        Assert.False(first.detach().allclose(before), $"{backbone}: the first layer did not change");
        module.Dispose();
    }
}
