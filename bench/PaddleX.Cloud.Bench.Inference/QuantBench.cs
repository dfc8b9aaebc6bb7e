using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Quantisation;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Bench.Inference;

/// <summary>
/// float32 vs int8 (QDQ, calibrated on a few images) ONNX Runtime CPU latency at batch 1 and file sizes, for the
/// network as built and with 30 % of every prunable channel group removed (the pruning code's physical channel
/// removal; kept channel counts rounded to multiples of 8 as pruned retraining does, and exact): classifiers at 224×224 with 1000 classes, <c>YOLOv3-MobileNetV1</c> (any <c>YOLOv3-backbone</c>) at
/// <c>detSize</c>² with 80 classes, its decoding and NMS inside the graph. The sessions run in turn, run after run,
/// so a load change on a shared machine hits all alike; medians are reported. Latency does not depend on the
/// weights' values, so the networks keep their initial weights; a detector's objectness bias is set to −10 so that
/// no random candidate passes the score threshold (the time is the network and its decoding, not NMS of noise).
/// </summary>
internal static class QuantBench
{
    public static void Run(IEnumerable<string> models, int threads, int runs, int warmup, double pruneRatio = 0.3, int detSize = 416)
    {
        Console.WriteLine($"# int8 vs float32 (and {pruneRatio:P0} of every prunable channel group removed): ONNX Runtime CPU, {threads} threads, batch 1, classifiers 224x224 1000 classes, detectors {detSize}x{detSize} 80 classes with NMS, median of {runs} alternating runs after {warmup} warm-up");
        Console.WriteLine("model              variant              GFLOPs  file_MB  latency_ms  vs_fp32  int8_kernels  float_convs");
        foreach (var name in models)
        {
            if (name.StartsWith(YoloV3.Name + "-", StringComparison.Ordinal))
            {
                var backbone = name[(YoloV3.Name.Length + 1)..];
                Compare(name, YoloV3.Name, detSize, DetectionOnnxExporter.InputName, () =>
                {
                    var detector = DetectionModels.Create(YoloV3.Name, backbone, 80, new DetectorOptions { InputSize = [detSize, detSize] });
                    var module = DetectionModels.AsModule(detector);
                    SilenceObjectness(module, 80);
                    return (module, () => DetectionOnnxExporter.Export(detector, detSize, detSize));
                }, threads, runs, warmup, pruneRatio);
            }
            else
            {
                Compare(name, name, 224, OnnxExporter.InputName, () =>
                {
                    var model = ClassificationModels.Create(name, 1000);
                    return (model, () => OnnxExporter.Export(model, name, 1000));
                }, threads, runs, warmup, pruneRatio);
            }
        }
    }

    /// <param name="build">a fresh network and its exporter (each variant prunes its own copy).</param>
    private static void Compare(string name, string groupsName, int size, string inputName, Func<(nn.Module Model, Func<byte[]> Export)> build, int threads, int runs, int warmup, double pruneRatio)
    {
        int[] dims = [1, 3, size, size];
        var variants = new List<(string Name, long Flops, byte[] Onnx)>();
        void AddVariants(string suffix, Func<int, int>? kept)
        {
            var (model, export) = build();
            using var owned = model;
            model.eval();
            if (kept is not null)
            {
                // Pruned as pruned retraining leaves a network: the weakest (L1) channels of each group physically removed.
                var pruner = new ChannelPruner(model, PrunableGroups.For(groupsName, model));
                pruner.Shrink(pruner.Groups.ToDictionary(g => g.Name, g => pruner.Strongest(g, kept(pruner.Channels(g))), StringComparer.Ordinal));
            }

            var flops = new FlopsCounter(model, 3, size, size).Current.Flops;
            var fp32 = export();
            variants.Add(("float32" + suffix, flops, fp32));
            variants.Add(("int8" + suffix, flops, QuantisedExport.QuantiseOnnx(fp32, Enumerable.Range(0, 8).Select(i => Image(i, size)), dims, new QuantisationOptions(CalibrationMethod.MinMax))));
        }

        AddVariants(string.Empty, null);
        // Kept counts rounded to multiples of 8 (what the planner does) and exact (what it did before).
        AddVariants("-pruned", c => ChannelPruner.Kept(c, pruneRatio));
        AddVariants("-pruned-exact", c => c - ChannelPruner.Removed(c, pruneRatio));

        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        var sessions = variants.Select(v => new InferenceSession(v.Onnx, options)).ToList();
        var input = new DenseTensor<float>(Image(99, size), dims);
        double Time(InferenceSession session)
        {
            var clock = Stopwatch.StartNew();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
            _ = results.First().AsEnumerable<float>().ToArray();
            return clock.Elapsed.TotalMilliseconds;
        }

        var times = sessions.Select(_ => new List<double>()).ToList();
        for (var i = 0; i < warmup + runs; i++)
        {
            for (var v = 0; v < sessions.Count; v++)
            {
                var ms = Time(sessions[v]);
                if (i >= warmup)
                {
                    times[v].Add(ms);
                }
            }
        }

        var floatMs = Median(times[0]);
        for (var v = 0; v < variants.Count; v++)
        {
            Line(name, variants[v].Name, variants[v].Flops, variants[v].Onnx.Length, Median(times[v]), floatMs, RuntimeGraph.OptimisedOpCounts(variants[v].Onnx));
            sessions[v].Dispose();
        }
    }

    /// <summary>Objectness logits of every anchor at −10 (channel 4 of each anchor's 5 + classes in the head's 1×1 outputs).</summary>
    private static void SilenceObjectness(nn.Module detector, int classes)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, bias) in detector.named_parameters().Where(p => p.name.StartsWith("head.outputs.", StringComparison.Ordinal) && p.name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            for (long a = 0; a < bias.shape[0] / (5 + classes); a++)
            {
                bias[(a * (5 + classes)) + 4] = torch.tensor(-10f);
            }
        }
    }

    private static void Line(string name, string variant, long flops, long bytes, double ms, double floatMs, Dictionary<string, int> ops)
    {
        var int8Kernels = ops.Where(o => o.Key.StartsWith("com.microsoft:Q", StringComparison.Ordinal)).Sum(o => o.Value);
        var floatConvs = ops.Where(o => o.Key.EndsWith("Conv", StringComparison.Ordinal) && !o.Key.Contains(":Q", StringComparison.Ordinal)).Sum(o => o.Value);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-18} {variant,-20} {flops / 1e9,6:F2}  {bytes / 1e6,7:F1}  {ms,10:F1}  {ms / floatMs,6:F2}x  {int8Kernels,12}  {floatConvs,11}"));
    }

    /// <summary>A normalised picture-like input: smooth gradients plus noise, in about [−2, 2].</summary>
    private static float[] Image(int seed, int size)
    {
        var rng = new Random(seed);
        var data = new float[3 * size * size];
        for (var c = 0; c < 3; c++)
        {
            var (a, b) = (rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1);
            for (var i = 0; i < size * size; i++)
            {
                data[(c * size * size) + i] = (float)((a * (i % size) / size) + (b * (i / size) / size) + (rng.NextDouble() - 0.5));
            }
        }

        return data;
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
    }
}
