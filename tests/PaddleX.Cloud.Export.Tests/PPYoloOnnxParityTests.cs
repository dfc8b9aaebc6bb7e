using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Inference;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Export;
using SkiaSharp;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>
/// Every PP-YOLO family model/backbone pair exports with its post-processing in the graph (Matrix NMS for PPYOLO and
/// PPYOLOv2, per-class NMS for PPYOLOTiny), and deploy/PaddleX.Cloud.Inference's <see cref="ExportedDetector"/>
/// finds on a drawn picture exactly TorchSharp's detections: the same count and classes, boxes within 1e-3 and
/// scores within 1e-4; each graph passes onnx.checker's full check. The weights are fixed rather than trained:
/// spread BatchNorm statistics, a sharpened head and random deformable offsets and masks, so CoordConv, SPP, the
/// DCNv2 sampling, the IoU-aware fusion and the grid-sensitive decoding all shape the result.
/// </summary>
[Collection(LibTorchCollection.Name)]
public sealed class PPYoloOnnxParityTests(ITestOutputHelper output) : IDisposable
{
    private const int Size = 64;
    private readonly string dir = Directory.CreateTempSubdirectory("ppyolo-export-").FullName;

    public static TheoryData<string, string> Pairs()
    {
        var pairs = new TheoryData<string, string>();
        foreach (var model in new[] { "PPYOLO", "PPYOLOTiny", "PPYOLOv2" })
        {
            // ResNet101_vd_dcn is ResNet50_vd_dcn with more blocks of the same kinds at twice the cost (a 292 MB graph).
            foreach (var backbone in DetectionModels.Backbones(model).Where(b => b != "ResNet101_vd_dcn"))
            {
                pairs.Add(model, backbone);
            }
        }

        return pairs;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void The_exported_model_detects_what_TorchSharp_detects(string model, string backbone)
    {
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var scope = NewDisposeScope();
        IDetector detector = Detector(model, backbone);
        DetectOptions options = Options(detector);
        var bytes = DetectionOnnxExporter.Export(detector, Size, Size, options: options);
        var exportSeconds = clock.Elapsed.TotalSeconds;
        var onnxFile = Path.Combine(dir, ExportFolder.OnnxFile);
        File.WriteAllBytes(onnxFile, bytes);
        var info = new ExportedModelInfo { Model = model, Task = "detection", Labels = ["a", "b", "c"], InputSize = [Size, Size], Mean = [0.5, 0.5, 0.5], Std = [0.5, 0.5, 0.5] };
        File.WriteAllText(Path.Combine(dir, ExportFolder.InfoFile), System.Text.Json.JsonSerializer.Serialize(info, ExportedModelInfo.Json));

        using var picture = Picture();
        Detections expected = detector.Detect(Normalised(picture), options)[0];
        using var deployed = new ExportedDetector(dir);
        var found = deployed.Detect(picture).ToList();

        float[] boxes = expected.Boxes.data<float>().ToArray();
        float[] scores = expected.Scores.data<float>().ToArray();
        long[] classes = expected.Labels.data<long>().ToArray();
        output.WriteLine($"{model}/{backbone}: {bytes.Length / 1e6:F1} MB, exported in {exportSeconds:F1} s, {scores.Length} detections " +
            $"in TorchSharp, {found.Count} in ONNX Runtime, {clock.Elapsed.TotalSeconds:F1} s in all " +
            $"({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s CPU)");
        Assert.InRange(scores.Length, 3, options.MaxDetections);
        Assert.Equal(scores.Length, found.Count);
        Assert.Equal(found.Select(f => f.Score).OrderByDescending(s => s), found.Select(f => f.Score));
        // Each TorchSharp detection matched to the closest ONNX one of its class (equal scores may come in another order).
        for (var i = 0; i < scores.Length; i++)
        {
            var want = boxes.AsSpan(i * 4, 4).ToArray();
            var match = found.Where(f => f.Index == classes[i]).MinBy(f => Distance(want, f));
            Assert.True(match is not null && Distance(want, match) <= 1e-3, $"no ONNX detection of class {classes[i]} within 1e-3 of {string.Join(", ", want)}");
            Assert.True(Math.Abs(scores[i] - match.Score) <= 1e-4, $"score {scores[i]} vs {match.Score}");
            found.Remove(match);
        }

        DetectionModels.AsModule(detector).Dispose();
        OnnxCheckerTests.AssertChecked([onnxFile]);
    }

    /// <summary>Matrix NMS in the graph with no candidate above the threshold (empty TopK and IoU matrices) returns no
    /// detections, as TorchSharp does; the float16 ("lite") graph runs too.</summary>
    [Fact]
    public void Empty_results_and_float16_weights_run()
    {
        using var scope = NewDisposeScope();
        IDetector detector = Detector("PPYOLO", "MobileNetV3_small");
        var none = detector.DefaultDetectOptions with { ScoreThreshold = 1.0 };
        torch.manual_seed(1);
        Tensor image = randn(1, 3, Size, Size);
        Assert.Equal(0, detector.Detect(image, none)[0].Scores.shape[0]);
        var input = new DenseTensor<float>(image.data<float>().ToArray(), [1, 3, Size, Size]);
        foreach (var (weights, options) in new[] { (OnnxWeights.Float32, none), (OnnxWeights.Float16, Options(detector)) })
        {
            using var session = new InferenceSession(DetectionOnnxExporter.Export(detector, Size, Size, weights, options: options));
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(DetectionOnnxExporter.InputName, input)]);
            var scores = results.First(r => r.Name == DetectionOnnxExporter.ScoresName).AsEnumerable<float>().ToArray();
            var expected = detector.Detect(image, options)[0].Scores.shape[0];
            output.WriteLine($"{weights}: {scores.Length} detections in ONNX Runtime, {expected} in TorchSharp");
            Assert.True(weights == OnnxWeights.Float32 ? scores.Length == 0 : scores.Length > 0 && scores.Length <= options.MaxDetections);
        }

        DetectionModels.AsModule(detector).Dispose();
    }

    /// <summary>The deformable layer alone, with offsets of a few pixels that send taps past the border: ONNX Runtime
    /// gives TorchSharp's output within 1e-4.</summary>
    [Fact]
    public void A_deformable_layer_exports_to_the_same_output()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(4);
        const int channels = 16, size = 12, taps = 9;
        Tensor x = randn(1, channels, size, size), offset = randn(1, 2 * taps, size, size) * 3, mask = rand(1, taps, size, size);
        Tensor weight = randn(8, channels, 3, 3) * 0.1;
        float[] expected = Vision.Detection.Ops.DeformConv2d.Apply(x, offset, weight, null, mask, 1, 1, 1).data<float>().ToArray();
        using var session = new InferenceSession(DeformConvOnnx.LayerModel(weight, size, size));
        DenseTensor<float> Input(Tensor t) => new(t.data<float>().ToArray(), t.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", Input(x)), NamedOnnxValue.CreateFromTensor("offset", Input(offset)), NamedOnnxValue.CreateFromTensor("mask", Input(mask))]);
        float[] actual = results.First().AsEnumerable<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max() <= 1e-4);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>An eval-mode detector with fixed, spread weights (see the class summary); three classes.</summary>
    internal static IDetector Detector(string model, string backbone)
    {
        torch.set_num_threads(2);
        torch.manual_seed(23);
        IDetector detector = DetectionModels.Create(model, backbone, 3, new DetectorOptions { InputSize = [Size, Size], AnchorScale = Size / 608.0 * 4 });
        var module = DetectionModels.AsModule(detector);
        ExportTestModels.SpreadBatchNorm(module);
        using (no_grad())
        {
            foreach (var (name, conv) in module.named_modules().Where(m => m.module is Conv2d).Select(m => (m.name, (Conv2d)m.module)))
            {
                if (name.EndsWith("conv_offset", StringComparison.Ordinal))
                {
                    // Offsets of about a pixel (fractional, so the bilinear sampling matters) and masks away from ½.
                    conv.weight!.normal_(0, 0.02);
                    conv.bias!.normal_(0, 0.7);
                }
                else if (conv.bias is not null)
                {
                    conv.weight!.mul_(4);
                }
            }
        }

        module.eval();
        return detector;
    }

    /// <summary>The detector's own post-processing with a score threshold that leaves a handful of detections.</summary>
    internal static DetectOptions Options(IDetector detector) =>
        detector.DefaultDetectOptions with { ScoreThreshold = detector.Architecture == "PPYOLOTiny" ? 0.3 : 0.2 };

    /// <summary>A picture of drawn coloured shapes at the input size, so no resize stands between the two runtimes.</summary>
    private SKBitmap Picture()
    {
        var source = ShapeDetectionGenerator.Write(Path.Combine(dir, "shapes"), new ShapeDetectionOptions { Count = 1, MinSide = Size, MaxSide = Size, Seed = 5 });
        var file = Directory.GetFiles(Path.Combine(source, "JPEGImages")).Single();
        return ExportedModel.Decode(File.ReadAllBytes(file));
    }

    /// <summary>The preprocessing the inference package applies (mean = std = ½), as a [1, 3, H, W] tensor.</summary>
    private static Tensor Normalised(SKBitmap picture)
    {
        var px = picture.GetPixelSpan();
        int w = picture.Width, h = picture.Height;
        var chw = new float[3 * w * h];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    chw[(c * w * h) + (y * w) + x] = (px[(y * picture.RowBytes) + (x * 4) + c] * (float)(1.0 / 127.5)) - 1f;
                }
            }
        }

        return tensor(chw, [1, 3, h, w]);
    }

    private static double Distance(float[] box, DetectedObject d) =>
        new[] { box[0] - d.X1, box[1] - d.Y1, box[2] - d.X2, box[3] - d.Y2 }.Max(Math.Abs);
}
