using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>A YOLOv3 export with its post-processing in the graph gives in ONNX Runtime the detections TorchSharp
/// gives: the same count, classes, boxes within 1e-3 and scores within 1e-4.</summary>
[Collection(LibTorchCollection.Name)]
public sealed class DetectionOnnxParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("MobileNetV1")]
    [InlineData("MobileNetV3")]
    public void YOLOv3_export_detects_what_TorchSharp_detects(string backbone)
    {
        using var scope = NewDisposeScope();
        IDetector detector = Detector(backbone);
        byte[] bytes = DetectionOnnxExporter.Export(detector, 96, 64);
        using var session = new InferenceSession(bytes);
        torch.manual_seed(5);
        Tensor image = randn(1, 3, 64, 96);
        Detections expected = detector.Detect(image, detector.DefaultDetectOptions)[0];
        var input = new DenseTensor<float>(image.data<float>().ToArray(), new[] { 1, 3, 64, 96 });
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(DetectionOnnxExporter.InputName, input)]);
        float[] boxes = results.First(r => r.Name == DetectionOnnxExporter.BoxesName).AsTensor<float>().ToArray();
        float[] scores = results.First(r => r.Name == DetectionOnnxExporter.ScoresName).AsTensor<float>().ToArray();
        long[] classes = results.First(r => r.Name == DetectionOnnxExporter.ClassesName).AsTensor<long>().ToArray();

        float[] eBoxes = expected.Boxes.data<float>().ToArray();
        float[] eScores = expected.Scores.data<float>().ToArray();
        long[] eClasses = expected.Labels.data<long>().ToArray();
        output.WriteLine($"{backbone}: {eScores.Length} detections in TorchSharp, {scores.Length} in ONNX Runtime");
        Assert.InRange(eScores.Length, 5, 100);
        Assert.Equal(eScores.Length, scores.Length);
        Assert.Equal(scores.OrderByDescending(s => s).ToArray(), scores);
        // Matched one to one, each TorchSharp detection to the closest ONNX one of its class (the order of equal
        // scores may differ).
        var actual = Rows(boxes, scores, classes);
        foreach (var want in Rows(eBoxes, eScores, eClasses))
        {
            var match = actual.Where(a => a.Class == want.Class).MinBy(a => Distance(a.Box, want.Box));
            Assert.True(match.Box is not null && Distance(match.Box, want.Box) <= 1e-3,
                $"no ONNX detection of class {want.Class} within 1e-3 of {string.Join(",", want.Box)}");
            Assert.True(Math.Abs(want.Score - match.Score) <= 1e-4, $"score {want.Score} vs {match.Score}");
            actual.Remove(match);
        }

        DetectionModels.AsModule(detector).Dispose();
    }

    /// <summary>An eval-mode YOLOv3 with spread BatchNorm statistics and a sharpened head, so scores are far apart
    /// and a score threshold of 0.3 leaves a few dozen detections.</summary>
    internal static IDetector Detector(string backbone)
    {
        torch.set_num_threads(2);
        torch.manual_seed(17);
        var yolo = new YoloOptions { Detect = new DetectOptions(ScoreThreshold: 0.3, NmsThreshold: 0.45, MaxDetections: 100, PreNmsTopK: 1000) };
        IDetector detector = DetectionModels.Create("YOLOv3", backbone, 4, new DetectorOptions { Yolo = yolo });
        var module = DetectionModels.AsModule(detector);
        using (no_grad())
        {
            foreach (var bn in module.modules().OfType<BatchNorm2d>())
            {
                bn.running_mean!.copy_(randn_like(bn.running_mean) * 0.1);
                bn.running_var!.copy_(rand_like(bn.running_var) + 1.0);
                bn.weight!.copy_((rand_like(bn.weight) * 0.5) + 0.5);
                bn.bias!.copy_(randn_like(bn.bias) * 0.1);
            }

            foreach (var conv in module.modules().OfType<Conv2d>().Where(c => c.bias is not null))
            {
                conv.weight!.mul_(4);
            }
        }

        module.eval();
        return detector;
    }

    private static List<(long Class, float Score, float[] Box)> Rows(float[] boxes, float[] scores, long[] classes) =>
        Enumerable.Range(0, scores.Length).Select(i => (classes[i], scores[i], boxes.AsSpan(i * 4, 4).ToArray())).ToList();

    private static double Distance(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
