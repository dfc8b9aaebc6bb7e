using System.Diagnostics;
using System.Globalization;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Forward + backward of single MobileNetV2 / ResNet18 layers at their 224-pixel shapes, to find where a training
/// step's time goes; bench/baseline/torch_train.py runs the same layers. Reports CPU milliseconds per iteration
/// (the process's CPU time, less sensitive to other load than wall time; run with OMP_WAIT_POLICY=PASSIVE so
/// spinning threads do not count) and wall milliseconds.
/// </summary>
internal static class LayerBench
{
    /// <summary>name → (in, out, kernel, stride, groups, input side, BatchNorm + ReLU6 after it).</summary>
    public static readonly (string Name, int In, int Out, int K, int Stride, int Groups, int Side, bool NormAct)[] Layers =
    [
        ("dw3x3-144c-56px", 144, 144, 3, 1, 144, 56, false),
        ("dw3x3-96c-112px-s2", 96, 96, 3, 2, 96, 112, false),
        ("dw3x3-576c-14px", 576, 576, 3, 1, 576, 14, false),
        ("pw1x1-24to144c-56px", 24, 144, 1, 1, 1, 56, false),
        ("pw1x1-144to24c-56px", 144, 24, 1, 1, 1, 56, false),
        ("bn-relu6-144c-56px", 144, 144, 0, 1, 1, 56, true),
        ("conv3x3-64c-56px", 64, 64, 3, 1, 1, 56, false),
    ];

    public static void Run(Options o)
    {
        int batch = o.Int("batch", 32), steps = o.Int("steps", 10), warmup = o.Int("warmup", 2), threads = o.Int("threads", 2);
        string only = o.Get("layer", "");
        TorchRuntime.ConfigureThreads(threads);
        torch.manual_seed(0);
        foreach (var l in Layers.Where(l => only.Length == 0 || l.Name == only))
        {
            nn.Module<Tensor, Tensor> layer = l.NormAct
                ? nn.Sequential(nn.BatchNorm2d(l.Out), nn.ReLU6(inplace: true))
                : nn.Conv2d(l.In, l.Out, l.K, stride: l.Stride, padding: l.K / 2, groups: l.Groups, bias: false);
            layer.train();
            using var x = torch.randn(batch, l.In, l.Side, l.Side).requires_grad_();
            var process = Process.GetCurrentProcess();
            TimeSpan cpu = TimeSpan.Zero;
            var wall = new Stopwatch();
            for (int i = 0; i < warmup + steps; i++)
            {
                if (i == warmup)
                {
                    process.Refresh();
                    cpu = process.TotalProcessorTime;
                    wall.Start();
                }

                using var scope = torch.NewDisposeScope();
                Tensor input = l.NormAct ? x * 1 : x; // the in-place activation must not overwrite a leaf
                layer.call(input).sum().backward();
                _ = x.grad!.sum().item<float>();
                x.grad!.zero_();
            }

            wall.Stop();
            process.Refresh();
            double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / steps;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT layer {l.Name} {batch} {threads} {cpuMs:0.0} {wall.Elapsed.TotalMilliseconds / steps:0.0}"));
            layer.Dispose();
        }
    }
}
