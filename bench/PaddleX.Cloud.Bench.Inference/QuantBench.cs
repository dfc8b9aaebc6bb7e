using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Classification;
using PaddleX.Cloud.Vision.Quantisation;

namespace PaddleX.Cloud.Bench.Inference;

/// <summary>
/// float32 vs int8 (QDQ, calibrated on a few images) ONNX Runtime CPU latency at batch 1, 224×224, 1000 classes,
/// and file sizes. The two sessions run alternately, run after run, so a load change on a shared machine hits
/// both alike; medians are reported. Latency does not depend on the weights' values, so the networks keep
/// their initial weights.
/// </summary>
internal static class QuantBench
{
    public static void Run(IEnumerable<string> models, int threads, int runs, int warmup)
    {
        Console.WriteLine($"# int8 vs float32: ONNX Runtime CPU, {threads} threads, batch 1, 224x224, 1000 classes, median of {runs} alternating runs after {warmup} warm-up");
        Console.WriteLine("model        variant  file_MB  latency_ms  vs_fp32  int8_kernels  float_convs");
        const int size = 224;
        int[] dims = [1, 3, size, size];
        foreach (var name in models)
        {
            using var model = ClassificationModels.Create(name, 1000);
            model.eval();
            var fp32 = OnnxExporter.Export(model, name, 1000);
            var int8 = QuantisedExport.QuantiseOnnx(fp32, Enumerable.Range(0, 8).Select(i => Image(i, size)), dims, new QuantisationOptions(CalibrationMethod.MinMax));
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            using var floatSession = new InferenceSession(fp32, options);
            using var int8Session = new InferenceSession(int8, options);
            var input = new DenseTensor<float>(Image(99, size), dims);
            double Time(InferenceSession session)
            {
                var clock = Stopwatch.StartNew();
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input)]);
                _ = results.First().AsEnumerable<float>().ToArray();
                return clock.Elapsed.TotalMilliseconds;
            }

            for (var i = 0; i < warmup; i++)
            {
                Time(floatSession);
                Time(int8Session);
            }

            var (floatTimes, int8Times) = (new List<double>(), new List<double>());
            for (var i = 0; i < runs; i++)
            {
                floatTimes.Add(Time(floatSession));
                int8Times.Add(Time(int8Session));
            }

            var (f, q) = (Median(floatTimes), Median(int8Times));
            Line(name, "float32", fp32.Length, f, f, RuntimeGraph.OptimisedOpCounts(fp32));
            Line(name, "int8", int8.Length, q, f, RuntimeGraph.OptimisedOpCounts(int8));
        }
    }

    private static void Line(string name, string variant, long bytes, double ms, double floatMs, Dictionary<string, int> ops)
    {
        var int8Kernels = ops.Where(o => o.Key.StartsWith("com.microsoft:Q", StringComparison.Ordinal)).Sum(o => o.Value);
        var floatConvs = ops.Where(o => o.Key.EndsWith("Conv", StringComparison.Ordinal) && !o.Key.Contains(":Q", StringComparison.Ordinal)).Sum(o => o.Value);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-12} {variant,-7}  {bytes / 1e6,7:F1}  {ms,10:F1}  {ms / floatMs,6:F2}x  {int8Kernels,12}  {floatConvs,11}"));
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
