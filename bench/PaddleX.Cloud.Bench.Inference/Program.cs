// Inference latency: the same weights run by TorchSharp eager (eval, no_grad) and by ONNX Runtime (CPU)
// from the exporter's ONNX graph; single image and batch 32 at 224x224; median of N timed runs after warm-up.
// Usage: PaddleX.Cloud.Bench.Inference [--threads 2] [--runs 10] [--warmup 2] [--models ResNet18,MobileNetV2]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using TorchSharp;
using static TorchSharp.torch;

var threads = Arg("--threads", 2);
var runs = Arg("--runs", 10);
var warmup = Arg("--warmup", 2);
var models = (ArgText("--models") ?? "ResNet18,MobileNetV2").Split(',');
torch.set_num_threads(threads);
Console.WriteLine($"# threads {threads}, runs {runs}, warm-up {warmup}, 224x224, 1000 classes, CPU");
Console.WriteLine("model        batch  torchsharp_ms  onnxruntime_ms  speedup");
foreach (var name in models)
{
    using var model = ClassificationModels.Create(name, 1000);
    model.eval();
    var bytes = OnnxExporter.Export(model, name, 1000);
    using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    using var session = new InferenceSession(bytes, options);
    foreach (var batch in new[] { 1, 32 })
    {
        var data = new float[batch * 3 * 224 * 224];
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
            var x = tensor(data, [batch, 3, 224, 224]);
            _ = model.call(x).data<float>().ToArray();
            return sw.Elapsed.TotalMilliseconds;
        }

        double Ort()
        {
            var sw = Stopwatch.StartNew();
            var input = new DenseTensor<float>(data, [batch, 3, 224, 224]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input)]);
            _ = results.First().AsEnumerable<float>().ToArray();
            return sw.Elapsed.TotalMilliseconds;
        }

        var n = batch == 1 ? runs * 3 : runs;
        var t = Median(Measure(Torch, warmup, n));
        var o = Median(Measure(Ort, warmup, n));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-12} {batch,5}  {t,13:F1}  {o,14:F1}  {t / o,7:F2}x"));
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
