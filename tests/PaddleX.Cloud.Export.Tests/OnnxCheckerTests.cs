using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Testing;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;
using PaddleX.Cloud.Vision.Quantisation;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>Every exported graph (each classification and segmentation model, YOLOv3 with its mobile backbones; float32 and
/// float16, int8 too) passes the ONNX reference checker with full shape inference: Debian's python3-onnx, run by /usr/bin/python3.</summary>
[Collection(LibTorchCollection.Name)]
public sealed class OnnxCheckerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("onnx-check-").FullName;

    [Fact]
    public void Every_exported_model_passes_onnx_checker_full_check()
    {
        RequireOnnx();
        var files = new List<string>();
        foreach (var name in ClassificationModels.Names)
        {
            using var model = ExportTestModels.Classifier(name, 5);
            files.Add(Write($"cls-{name}.onnx", OnnxExporter.Export(model, name, 5)));
            if (name == "MobileNetV2")
            {
                files.Add(Write($"cls-{name}-lite.onnx", OnnxExporter.Export(model, name, 5, OnnxWeights.Float16)));
            }
        }

        foreach (var name in SegmentationModels.Names)
        {
            using var model = ExportTestModels.Segmenter(name, 3, 4);
            files.Add(Write($"seg-{name}.onnx", SegmentationOnnxExporter.Export(model, name, 3, 4, [64, 64])));
            files.Add(Write($"seg-{name}-lite.onnx", SegmentationOnnxExporter.Export(model, name, 3, 4, [64, 64], OnnxWeights.Float16)));
        }

        AssertChecked(files);
    }

    /// <summary>int8 (QDQ) exports of classification and segmentation graphs: checker-clean, and ONNX Runtime
    /// runs the convolutions as fused int8 kernels (no float Conv left, no DequantizeLinear on the way for
    /// the ReLU networks) with outputs close to the float32 graph's.</summary>
    [Fact]
    public void Int8_exports_pass_onnx_checker_and_run_as_fused_int8_kernels()
    {
        RequireOnnx();
        var files = new List<string>();
        foreach (var name in new[] { "ResNet18", "MobileNetV2", "MobileNetV3_small" })
        {
            using var model = ExportTestModels.Classifier(name, 5);
            var (fp32, int8) = Quantise(OnnxExporter.Export(model, name, 5), 3);
            files.Add(Write($"cls-{name}-int8.onnx", int8));
            var ops = RuntimeGraph.OptimisedOpCounts(int8);
            Assert.True(ops.GetValueOrDefault("com.microsoft:QLinearConv") > 0, $"{name}: {string.Join(", ", ops)}");
            if (name != "MobileNetV3_small")
            {
                Assert.False(ops.ContainsKey("Conv") || ops.ContainsKey("DequantizeLinear"), $"{name} keeps float parts: {string.Join(", ", ops)}");
                Assert.True(ops.ContainsKey("com.microsoft:QGemm"), $"{name}: {string.Join(", ", ops)}");
            }

            var (expected, actual) = (Run(fp32, OnnxExporter.ProbabilitiesName, 3), Run(int8, OnnxExporter.ProbabilitiesName, 3));
            var diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff <= 0.05, $"{name}: int8 probabilities differ by {diff:F4}");
        }

        foreach (var name in SegmentationModels.Names)
        {
            using var model = ExportTestModels.Segmenter(name, 3, 4);
            var (_, int8) = Quantise(SegmentationOnnxExporter.Export(model, name, 3, 4, [64, 64]), 4);
            files.Add(Write($"seg-{name}-int8.onnx", int8));
            Assert.True(RuntimeGraph.OptimisedOpCounts(int8).GetValueOrDefault("com.microsoft:QLinearConv") > 0, name);
            Assert.Equal(64 * 64, Run(int8, SegmentationOnnxExporter.LabelMapName, 4).Length);
        }

        AssertChecked(files);
    }

    /// <summary>YOLOv3 with the post-processing in the graph (NonMaxSuppression, TopK, ScatterElements, GatherND).
    /// The two mobile backbones: DarkNet53 and ResNet34 write the same node kinds (their graphs are 100–250 MB).</summary>
    [Fact]
    public void YOLOv3_exports_pass_onnx_checker_full_check()
    {
        RequireOnnx();
        var files = new List<string>();
        foreach (var backbone in new[] { "MobileNetV1", "MobileNetV3" })
        {
            var detector = DetectionOnnxParityTests.Detector(backbone);
            files.Add(Write($"det-yolov3-{backbone}.onnx", DetectionOnnxExporter.Export(detector, 64, 64)));
            if (backbone == "MobileNetV1")
            {
                files.Add(Write($"det-yolov3-{backbone}-lite.onnx", DetectionOnnxExporter.Export(detector, 64, 64, OnnxWeights.Float16)));
            }

            DetectionModels.AsModule(detector).Dispose();
        }

        AssertChecked(files);
    }

    private static (byte[] Float32, byte[] Int8) Quantise(byte[] fp32, int bands) =>
        (fp32, QuantisedExport.QuantiseOnnx(fp32, Enumerable.Range(0, 3).Select(i => Sample(bands, i)), [1, bands, 64, 64], new QuantisationOptions()));

    private static float[] Sample(int bands, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, bands * 64 * 64).Select(_ => (float)((rng.NextDouble() * 4) - 2)).ToArray();
    }

    private static float[] Run(byte[] model, string output, int bands)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(Sample(bands, 9), [1, bands, 64, 64]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input)], [output]);
        return output == SegmentationOnnxExporter.LabelMapName
            ? results[0].AsEnumerable<long>().Select(v => (float)v).ToArray()
            : results[0].AsEnumerable<float>().ToArray();
    }

    private static void AssertChecked(List<string> files)
    {
        var (code, output) = OnnxChecker.Check(files);
        Assert.True(code == 0, $"onnx.checker failed:\n{output}");
        foreach (var f in files)
        {
            Assert.Contains("checked " + f, output, StringComparison.Ordinal);
        }
    }

    /// <summary>Fails (never skips) when the checker is missing, saying how to install it.</summary>
    private static void RequireOnnx()
    {
        var missing = OnnxChecker.Unavailable();
        Assert.True(missing is null, missing);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
