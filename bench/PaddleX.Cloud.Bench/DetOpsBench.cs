using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Runtime;
using static TorchSharp.torch;

/// <summary>
/// <c>detops --dir DIR --op nms-10k --threads 2 --runs 20 --warmup 3</c>: the detection ops on the inputs written by
/// <c>bench/baseline/torch_detops.py make</c>, timed like that script times torchvision's native ops; prints
/// "RESULT &lt;op&gt; &lt;threads&gt; &lt;median ms per call&gt; &lt;CPU ms per call&gt; &lt;check&gt;".
/// </summary>
internal static class DetOpsBench
{
    public static void Run(Options o)
    {
        string dir = o.Get("dir", Path.Combine(Path.GetTempPath(), "pdx-detops"));
        string op = o.Get("op", "nms-10k");
        int threads = o.Int("threads", 2), runs = o.Int("runs", 20), warmup = o.Int("warmup", 3);
        TorchRuntime.ConfigureThreads(threads);
        Func<Tensor> call;
        Func<Tensor, string> check;
        if (op.StartsWith("nms-", StringComparison.Ordinal) || op.StartsWith("batched-nms-", StringComparison.Ordinal))
        {
            int n = op.EndsWith("1k", StringComparison.Ordinal) ? 1000 : 10000;
            var boxes = Load(dir, $"boxes{n}");
            var scores = Load(dir, $"scores{n}");
            var classes = Load(dir, "classes10000");
            call = op.StartsWith("batched", StringComparison.Ordinal)
                ? () => Nms.Batched(boxes, scores, classes, 0.5)
                : () => Nms.Apply(boxes, scores, 0.5);
            check = r => r.numel().ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            bool backward = op == "roi-align-fwd-bwd";
            var x = Load(dir, "features").requires_grad_(backward);
            var rois = Load(dir, "rois");
            var upstream = Load(dir, "upstream");
            call = () =>
            {
                x.grad?.Dispose();
                x.grad = null;
                var output = RoiAlign.Apply(x, rois, 7, 7, 1.0 / 16, 2, aligned: true);
                if (backward)
                {
                    output.backward([upstream]);
                }

                return output;
            };
            check = r => string.Create(CultureInfo.InvariantCulture, $"{Sum(r):0.000}") +
                (backward ? string.Create(CultureInfo.InvariantCulture, $"/{Sum(x.grad!):0.000}") : "");
        }

        var times = new List<double>();
        Tensor? result = null;
        var process = Process.GetCurrentProcess();
        TimeSpan cpuStart = TimeSpan.Zero;
        for (int i = 0; i < warmup + runs; i++)
        {
            result?.Dispose();
            if (i == warmup)
            {
                process.Refresh();
                cpuStart = process.TotalProcessorTime;
            }

            long start = Stopwatch.GetTimestamp();
            result = call();
            if (i >= warmup)
            {
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / runs;
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {op} {threads} {median:0.00} {cpu:0.00} {check(result!)}"));
    }

    private static double Sum(Tensor t)
    {
        using var s = t.detach().to(ScalarType.Float64).sum();
        return s.item<double>();
    }

    private static Tensor Load(string dir, string name)
    {
        using var shapes = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "shapes.json")));
        var entry = shapes.RootElement.GetProperty(name);
        long[] shape = entry[0].EnumerateArray().Select(d => d.GetInt64()).ToArray();
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir, name + ".bin"));
        return entry[1].GetString() switch
        {
            "float32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray()).reshape(shape),
            "int64" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes).ToArray()).reshape(shape),
            var t => throw new InvalidDataException($"{name}: unsupported dtype {t}"),
        };
    }
}
