using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Bench.Inference;

/// <summary>
/// One 3×3 modulated deformable layer (DCNv2) at inference, three ways on the same inputs: TorchSharp
/// (<see cref="DeformConv2d.Apply"/>), our ONNX export of it (GridSample + MatMul, opset 17) in ONNX Runtime, and
/// ONNX's own <c>DeformConv</c> node (opset 19, written by bench/baseline/dcn_onnx_models.py) in ONNX Runtime.
/// Each output is compared with torchvision's <c>deform_conv2d</c> on those inputs. Runs alternate; medians.
/// </summary>
internal static class DcnOnnxBench
{
    public static void Run(string dir, int channels, int size, int threads, int runs, int warmup)
    {
        const int taps = 9;
        float[] Read(string name) => ReadFloats(Path.Combine(dir, name + ".bin"));
        float[] x = Read("x"), offset = Read("offset"), mask = Read("mask"), weight = Read("weight"), reference = Read("reference");
        using var w = tensor(weight, [channels, channels, 3, 3]);
        using var tx = tensor(x, [1, channels, size, size]);
        using var toff = tensor(offset, [1, 2 * taps, size, size]);
        using var tmask = tensor(mask, [1, taps, size, size]);
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var ours = new InferenceSession(DeformConvOnnx.LayerModel(w, size, size), options);
        InferenceSession? standard = null;
        string standardError = string.Empty;
        try
        {
            standard = new InferenceSession(Path.Combine(dir, "deformconv19.onnx"), options);
        }
        catch (OnnxRuntimeException e)
        {
            standardError = e.Message.Split('\n')[0];
        }

        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [1, channels, size, size])),
            NamedOnnxValue.CreateFromTensor("offset", new DenseTensor<float>(offset, [1, 2 * taps, size, size])),
            NamedOnnxValue.CreateFromTensor("mask", new DenseTensor<float>(mask, [1, taps, size, size])),
        };
        var engines = new List<(string Name, Func<float[]> Run)>
        {
            ("TorchSharp DeformConv2d.Apply", () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                return DeformConv2d.Apply(tx, toff, w, null, tmask, 1, 1, 1).data<float>().ToArray();
            }),
            ("ORT, our export (GridSample+MatMul, opset 17)", () => OrtRun(ours, inputs)),
        };
        if (standard is not null)
        {
            engines.Add(("ORT, ONNX DeformConv (opset 19)", () => OrtRun(standard, inputs)));
        }

        var times = engines.Select(_ => new List<double>()).ToArray();
        var diffs = engines.Select(e => e.Run().Zip(reference, (a, b) => Math.Abs(a - b)).Max()).ToArray();
        for (var r = 0; r < warmup + runs; r++)
        {
            for (var i = 0; i < engines.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                engines[i].Run();
                if (r >= warmup)
                {
                    times[i].Add(sw.Elapsed.TotalMilliseconds);
                }
            }
        }

        Console.WriteLine($"# one 3x3 DCNv2 layer, {channels} -> {channels} channels, {size}x{size}, batch 1, {threads} threads, median of {runs} alternating runs after {warmup} warm-up; ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
        Console.WriteLine("| engine | ms | max abs diff vs torchvision deform_conv2d |");
        Console.WriteLine("|---|---|---|");
        for (var i = 0; i < engines.Count; i++)
        {
            times[i].Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {engines[i].Name} | {times[i][times[i].Count / 2]:F2} | {diffs[i]:E1} |"));
        }

        if (standard is null)
        {
            Console.WriteLine($"| ORT, ONNX DeformConv (opset 19) | does not load: {standardError} | |");
        }

        standard?.Dispose();
    }

    private static float[] OrtRun(InferenceSession session, List<NamedOnnxValue> inputs)
    {
        using var results = session.Run(inputs);
        return results.First().AsEnumerable<float>().ToArray();
    }

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
