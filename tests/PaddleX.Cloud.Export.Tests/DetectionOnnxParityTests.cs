using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Export;
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

    /// <summary>deploy/PaddleX.Cloud.Inference reads the export folder and finds TorchSharp's detections on a picture
    /// of the input size (so no resize stands between the two).</summary>
    [Fact]
    public void The_inference_package_detects_with_an_export_folder()
    {
        using var scope = NewDisposeScope();
        IDetector detector = Detector("MobileNetV1");
        string dir = Directory.CreateTempSubdirectory("det-export-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, ExportFolder.OnnxFile), DetectionOnnxExporter.Export(detector, 96, 64));
            var info = new ExportedModelInfo { Model = "YOLOv3", Task = "detection", Labels = ["a", "b", "c", "d"], InputSize = [96, 64], Mean = [0.5, 0.5, 0.5], Std = [0.5, 0.5, 0.5] };
            File.WriteAllText(Path.Combine(dir, ExportFolder.InfoFile), System.Text.Json.JsonSerializer.Serialize(info, ExportedModelInfo.Json));
            var rng = new Random(3);
            var pixels = new byte[96 * 64 * 4];
            rng.NextBytes(pixels);
            for (int i = 3; i < pixels.Length; i += 4)
            {
                pixels[i] = 255;
            }

            using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(96, 64, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            var chw = new float[3 * 64 * 96];
            for (int c = 0; c < 3; c++)
            {
                for (int p = 0; p < 64 * 96; p++)
                {
                    chw[(c * 64 * 96) + p] = ((pixels[(p * 4) + c] / 255f) - 0.5f) / 0.5f;
                }
            }

            Detections expected = detector.Detect(tensor(chw, [1, 3, 64, 96]), detector.DefaultDetectOptions)[0];
            using var deployed = new PaddleX.Cloud.Inference.ExportedDetector(dir);
            var found = deployed.Detect(bitmap);
            Assert.Equal((int)expected.Scores.shape[0], found.Count);
            float[] top = expected.Boxes[0].data<float>().ToArray();
            var best = found[0];
            Assert.Equal(expected.Labels[0].item<long>(), best.Index);
            Assert.Equal(expected.Scores[0].item<float>(), best.Score, 4);
            Assert.True(Distance(top, [best.X1, best.Y1, best.X2, best.Y2]) <= 1e-3);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            DetectionModels.AsModule(detector).Dispose();
        }
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
        ExportTestModels.SpreadBatchNorm(module);
        using (no_grad())
        {
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
