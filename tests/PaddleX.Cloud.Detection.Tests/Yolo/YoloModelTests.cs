using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Detection.Tests.Yolo;

public class YoloModelTests
{
    [Theory]
    [InlineData("MobileNetV1", "MobileNetV1")]
    [InlineData("MobileNetV1_ssld", "MobileNetV1")]
    [InlineData("MobileNetV3_ssld", "MobileNetV3")]
    [InlineData("MobileNetV3_large", "MobileNetV3")]
    [InlineData(null, "MobileNetV1")]
    [InlineData("DarkNet53", "DarkNet53")]
    public void Registry_resolves_aliases_to_the_same_network(string? requested, string canonical)
    {
        Assert.Equal(canonical, DetectionModels.ResolveBackbone("YOLOv3", requested));
    }

    [Fact]
    public void Registry_rejects_unknown_pairs_naming_the_valid_ones()
    {
        var backbone = Assert.Throws<ArgumentException>(() => DetectionModels.Create("YOLOv3", "ResNet18", 3));
        Assert.Contains("DarkNet53", backbone.Message);
        var model = Assert.Throws<ArgumentException>(() => DetectionModels.Create("YOLOv9", null, 3));
        Assert.Contains("YOLOv3", model.Message);
    }

    [Fact]
    public void A_prediction_encoding_the_target_decodes_to_the_ground_truth_box()
    {
        using var scope = NewDisposeScope();
        var head = new YoloHead([8, 8, 8], 2, new YoloOptions());
        var loss = new Vision.Detection.Losses.YoloLoss(head);
        // One 50×70 box centred at (41, 29) in a 64×64 input: its best anchor is (33, 23)… (59, 119) by shape.
        var box = tensor(new float[] { 16, -6, 66, 64 }).reshape(1, 4);
        var target = new DetectionTarget(box, tensor(new long[] { 1 }));
        int best = Enumerable.Range(0, 9).MaxBy(i => ShapeIou(50, 70, YoloOptions.DefaultAnchors[i]));
        int level = Enumerable.Range(0, 3).First(l => YoloOptions.DefaultMasks[l].Contains(best));
        int k = Array.IndexOf(YoloOptions.DefaultMasks[level], best);
        int stride = new[] { 32, 16, 8 }[level];
        long g = 64 / stride;
        long gi = (long)(41.0 / stride), gj = (long)(29.0 / stride);
        var raw = zeros(1, 3 * 7, g, g);
        var p = raw.view(1, 3, 7, g, g);
        double ox = 41.0 / stride - gi, oy = 29.0 / stride - gj;
        p[0, k, 0, gj, gi] = tensor(Math.Log(ox / (1 - ox)));
        p[0, k, 1, gj, gi] = tensor(Math.Log(oy / (1 - oy)));
        p[0, k, 2, gj, gi] = tensor(Math.Log(50 / YoloOptions.DefaultAnchors[best].W));
        p[0, k, 3, gj, gi] = tensor(Math.Log(70 / YoloOptions.DefaultAnchors[best].H));
        Tensor decoded = head.DecodeBoxes(head.Split(raw, level), level)[0, k, gj, gi];
        float[] xyxy = decoded.data<float>().ToArray();
        Assert.Equal([16f, -6f, 66f, 64f], xyxy.Select(v => MathF.Round(v, 3)).ToArray());

        // The same raw output has (near) zero size loss and the lowest centre loss at that cell.
        var raws = Enumerable.Range(0, 3).Select(l => l == level ? raw : zeros(1, 21, 64 / new[] { 32, 16, 8 }[l], 64 / new[] { 32, 16, 8 }[l])).ToArray();
        var losses = loss.Compute(raws, [target], 64, 64);
        Assert.True(losses["loss_wh"].item<float>() < 1e-4);
        Assert.Equal(["loss_cls", "loss_obj", "loss_wh", "loss_xy"], losses.Keys.Order().ToArray());
        head.Dispose();
    }

    [Fact]
    public void Detect_returns_sorted_boxes_inside_the_image_with_at_most_the_kept_count()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var detector = (YoloDetector)DetectionModels.Create("YOLOv3", "MobileNetV1", 4);
        detector.eval();
        var detections = detector.Detect(randn(2, 3, 96, 64), new DetectOptions(ScoreThreshold: 0.0, MaxDetections: 50));
        Assert.Equal(2, detections.Count);
        foreach (var d in detections)
        {
            Assert.Equal(50, d.Boxes.shape[0]);
            float[] scores = d.Scores.data<float>().ToArray();
            Assert.Equal(scores.OrderByDescending(s => s).ToArray(), scores);
            Assert.True(d.Boxes.min().item<float>() >= 0);
            Assert.True(d.Boxes[.., 2].max().item<float>() <= 64 && d.Boxes[.., 3].max().item<float>() <= 96);
            Assert.True(d.Labels.max().item<long>() < 4);
        }

        detector.Dispose();
    }

    private static double ShapeIou(float w, float h, (float W, float H) a)
    {
        double inter = Math.Min(w, a.W) * (double)Math.Min(h, a.H);
        return inter / (w * h + a.W * a.H - inter);
    }
}
