// Inference latency: the same weights run by TorchSharp eager (eval, no_grad) and by ONNX Runtime (CPU)
// from the exporter's ONNX graph; median of N timed runs after warm-up. Classification: single image and
// batch 32 at 224x224, 1000 classes. Segmentation models (--models DeepLabV3P,UNet,…): single image and
// batch 4 at --seg-size (256) px, 21 classes.
// With --quant: float32 vs int8 ONNX latency and file size instead (QuantBench.cs).
// With --dcn-onnx DIR: one deformable layer in TorchSharp, our ONNX export and ONNX's DeformConv (DcnOnnxBench.cs).
// Usage: PaddleX.Cloud.Bench.Inference [--threads 2] [--runs 10] [--warmup 2] [--models ResNet18,MobileNetV2] [--seg-size 256] [--quant [--det-size 416]]
//        [--dcn-onnx DIR --channels 512 --size 19]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Bench.Inference;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Models.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

var threads = Arg("--threads", 2);
var runs = Arg("--runs", 10);
var warmup = Arg("--warmup", 2);
var models = (ArgText("--models") ?? "ResNet18,MobileNetV2").Split(',');
var segSize = Arg("--seg-size", 256);
torch.set_num_threads(threads);
if (ArgText("--dcn-onnx") is { } dcnDir)
{
    DcnOnnxBench.Run(dcnDir, Arg("--channels", 512), Arg("--size", 19), threads, runs, warmup);
    return;
}

if (args.Contains("--quant"))
{
    QuantBench.Run(models, threads, runs, warmup, detSize: Arg("--det-size", 416));
    return;
}

Console.WriteLine($"# threads {threads}, runs {runs}, warm-up {warmup}, CPU; classification 224x224 1000 classes, segmentation {segSize}x{segSize} 21 classes");
Console.WriteLine("model        size  batch  torchsharp_ms  onnxruntime_ms  speedup");
foreach (var name in models)
{
    var segmentation = SegmentationModels.IsKnown(name);
    var size = segmentation ? segSize : 224;
    using var model = segmentation ? SegmentationModels.Create(name, null, 21) : ClassificationModels.Create(name, 1000);
    model.eval();
    var bytes = segmentation ? SegmentationOnnxExporter.Export(model, name, 21, 3, [size, size]) : OnnxExporter.Export(model, name, 1000);
    using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    using var session = new InferenceSession(bytes, options);
    foreach (var batch in segmentation ? new[] { 1, 4 } : new[] { 1, 32 })
    {
        var data = new float[batch * 3 * size * size];
        var rng = new Random(1);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        double Torch()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var sw = Stopwatch.StartNew();
            var x = tensor(data, [batch, 3, size, size]);
            _ = model.call(x).data<float>().ToArray();
            return sw.Elapsed.TotalMilliseconds;
        }

        double Ort()
        {
            var sw = Stopwatch.StartNew();
            var input = new DenseTensor<float>(data, [batch, 3, size, size]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input)]);
            _ = results.First().AsEnumerable<float>().ToArray();
            return sw.Elapsed.TotalMilliseconds;
        }

        var n = batch == 1 ? runs * 3 : runs;
        var t = Median(Measure(Torch, warmup, n));
        var o = Median(Measure(Ort, warmup, n));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-12} {size,4}  {batch,5}  {t,13:F1}  {o,14:F1}  {t / o,7:F2}x"));
    }
}

static List<double> Measure(Func<double> f, int warmup, int n)
{
    for (var i = 0; i < warmup; i++)
    {
        f();
    }

    return Enumerable.Range(0, n).Select(_ => f()).ToList();
}

static double Median(List<double> v)
{
    v.Sort();
    return v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
}

int Arg(string key, int fallback) => ArgText(key) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string key)
{
    var i = Array.IndexOf(args, key);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
