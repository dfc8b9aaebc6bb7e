using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Rcnn;
using PaddleX.Cloud.Vision.Detection.Ops;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Detection.Tests.Rcnn;

/// <summary>Faster R-CNN exported with its whole post-processing in the graph gives in ONNX Runtime the detections
/// TorchSharp gives: the same count and classes, boxes within 1e-3, scores within 1e-4.</summary>
public sealed class RcnnOnnxExportTests(ITestOutputHelper output)
{
    /// <summary>The box heads with and without FPN, on each kind of body: TorchVision's ResNet (FPN: 256×224 px, so
    /// the proposals spread over three pyramid levels of the RoIAlign), ResNet_vd (C4: its last stage per RoI), HRNet
    /// with HRFPN.</summary>
    [Theory]
    [InlineData("ResNet34", true, 256, 224)]
    [InlineData("ResNet50_vd", false, 96, 64)]
    [InlineData("HRNet_W18", true, 96, 64)]
    public void Random_network_exports_detect_what_TorchSharp_detects(string backbone, bool fpn, int width, int height)
    {
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        torch.set_num_threads(2);
        torch.manual_seed(7);
        var settings = (fpn ? new RcnnSettings() : RcnnSettings.ForC4) with { FpnChannels = 32, BoxHeadWidth = 64, RpnPreNmsTopNTest = 300, RpnPostNmsTopNTest = 100 };
        using var model = new FasterRCNN(backbone, 3, fpn, settings);
        Sharpen(model);
        model.eval();
        using var scope = NewDisposeScope();
        var image = randn(1, 3, height, width);
        var expected = model.Detect(image, model.DefaultDetectOptions)[0];
        var actual = OnnxDetections.Run(DetectionOnnxExporter.Export(model, width, height), image);
        var proposals = model.Trace(image, [zeros(0, 4)]).Proposals[0];
        var levels = fpn ? new MultiScaleRoiAlign(7, 7, 0).MapLevels([proposals], [0.25, 0.125, 0.0625, 0.03125]).Distinct().Count() : 1;
        output.WriteLine($"{backbone} fpn={fpn}: {expected.Scores.shape[0]} detections in TorchSharp, {actual.Scores.Length} in ONNX Runtime; proposals on {levels} levels; {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} CPU s");
        Assert.InRange(expected.Scores.shape[0], 10, 100);
        Assert.True(width < 200 || levels >= 2, $"the proposals use {levels} pyramid levels");
        OnnxDetections.AssertSame(expected, actual);
    }

    /// <summary>Spread BatchNorm statistics, and heads scaled up so objectness and class scores are far apart.</summary>
    private static void Sharpen(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var bn in model.modules().OfType<BatchNorm2d>())
        {
            bn.running_mean!.copy_(randn_like(bn.running_mean) * 0.1);
            bn.running_var!.copy_(rand_like(bn.running_var) + 1.0);
        }

        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("cls_logits") || name.Contains("cls_score") || name.Contains("bbox_pred"))
            {
                p.mul_(name.Contains("bbox_pred") ? 20 : 200);
            }
        }
    }
}

/// <summary>An exported detector's outputs in ONNX Runtime, and their comparison with TorchSharp's detections.</summary>
internal sealed record OnnxDetections(float[] Boxes, float[] Scores, long[] Classes)
{
    public static OnnxDetections Run(byte[] model, Tensor image)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(image.contiguous().data<float>().ToArray(), image.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(DetectionOnnxExporter.InputName, input)]);
        return new OnnxDetections(
            results.First(r => r.Name == DetectionOnnxExporter.BoxesName).AsTensor<float>().ToArray(),
            results.First(r => r.Name == DetectionOnnxExporter.ScoresName).AsTensor<float>().ToArray(),
            results.First(r => r.Name == DetectionOnnxExporter.ClassesName).AsTensor<long>().ToArray());
    }

    /// <summary>The same number of detections, sorted by score, and each TorchSharp detection matched one to one with
    /// the closest ONNX one of its class (equal scores may come in another order): boxes within 1e-3, scores 1e-4.</summary>
    public static void AssertSame(Detections expected, OnnxDetections actual)
    {
        var want = new OnnxDetections(expected.Boxes.data<float>().ToArray(), expected.Scores.data<float>().ToArray(), expected.Labels.data<long>().ToArray());
        Assert.Equal(want.Scores.Length, actual.Scores.Length);
        Assert.Equal(actual.Scores.OrderByDescending(s => s).ToArray(), actual.Scores);
        var left = Enumerable.Range(0, actual.Scores.Length).ToList();
        for (int i = 0; i < want.Scores.Length; i++)
        {
            int match = left.Where(j => actual.Classes[j] == want.Classes[i]).DefaultIfEmpty(-1).MinBy(j => j < 0 ? double.MaxValue : want.Distance(i, actual, j));
            Assert.True(match >= 0 && want.Distance(i, actual, match) <= 1e-3, $"no ONNX detection of class {want.Classes[i]} within 1e-3 of box {i}");
            Assert.True(Math.Abs(want.Scores[i] - actual.Scores[match]) <= 1e-4, $"score {want.Scores[i]} vs {actual.Scores[match]}");
            left.Remove(match);
        }
    }

    private double Distance(int i, OnnxDetections other, int j) =>
        Enumerable.Range(0, 4).Max(c => Math.Abs(Boxes[(4 * i) + c] - other.Boxes[(4 * j) + c]));
}
