using System.Diagnostics;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>Every exported graph (each classification and segmentation model, YOLOv3 with its mobile backbones; float32 and float16) passes
/// the ONNX reference checker with full shape inference: Debian's python3-onnx, run by /usr/bin/python3.</summary>
[Collection(LibTorchCollection.Name)]
public sealed class OnnxCheckerTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
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

        Check(files);
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

        Check(files);
    }

    private static void Check(IReadOnlyList<string> files)
    {
        const string script = """
            import sys, onnx
            for path in sys.argv[1:]:
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                assert model.ir_version == 8, (path, model.ir_version)
                assert [o.version for o in model.opset_import if o.domain == ""] == [17], path
                print("checked", path)
            """;
        var (code, output) = RunPython(["-c", script, .. files]);
        Assert.True(code == 0, $"onnx.checker failed:\n{output}");
        foreach (var f in files)
        {
            Assert.Contains("checked " + f, output, StringComparison.Ordinal);
        }
    }

    /// <summary>Fails (never skips) when the checker is missing, saying how to install it.</summary>
    private static void RequireOnnx()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: apt-get install python3 python3-onnx (or run tests/tools/install.sh)");
        var (code, output) = RunPython(["-c", "import onnx; print(onnx.__version__)"]);
        Assert.True(code == 0, $"{Python} cannot import onnx: apt-get install python3-onnx (or run tests/tools/install.sh)\n{output}");
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (int Code, string Output) RunPython(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + Python);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
