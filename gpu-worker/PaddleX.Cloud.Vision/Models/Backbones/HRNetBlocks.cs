using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>HRNet's residual units.</summary>
internal static class HRNetUnits
{
    /// <summary>Two 3×3 conv-BN (the basic block); ReLU after the sum.</summary>
    public static ResidualUnit Basic(long channels) =>
        new(Sequential(new ConvBnAct(channels, channels, 3), new ConvBnAct(channels, channels, 3, relu: false)));

    /// <summary>1×1 → 3×3 → 1×1 (4× planes) of the first stage, with a 1×1 projection shortcut when the
    /// channel count changes.</summary>
    public static ResidualUnit Bottleneck(long inChannels, long planes) =>
        new(
            Sequential(new ConvBnAct(inChannels, planes, 1), new ConvBnAct(planes, planes, 3), new ConvBnAct(planes, planes * 4, 1, relu: false)),
            inChannels == planes * 4 ? null : new ConvBnAct(inChannels, planes * 4, 1, relu: false));
}

/// <summary>
/// One HRNet module: four basic units on every branch, then the exchange: each output branch i sums every
/// branch j brought to its resolution and width — j = i as is, a lower-resolution j by a 1×1 conv-BN and
/// bilinear up-sampling, a higher-resolution j by i − j strided 3×3 conv-BNs (ReLU between them) — then ReLU.
/// </summary>
internal sealed class HighResolutionModule : Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> branches = new();
    private readonly ModuleList<ModuleList<Module<Tensor, Tensor>>> fuse = new();

    public HighResolutionModule(long[] widths)
        : base(nameof(HighResolutionModule))
    {
        foreach (var w in widths)
        {
            branches.Add(Sequential(Enumerable.Range(0, 4).Select(_ => (Module<Tensor, Tensor>)HRNetUnits.Basic(w)).ToArray()));
        }

        for (var i = 0; i < widths.Length; i++)
        {
            var row = new ModuleList<Module<Tensor, Tensor>>();
            for (var j = 0; j < widths.Length; j++)
            {
                row.Add(j == i ? Identity() : j > i ? new ConvBnAct(widths[j], widths[i], 1, relu: false) : DownPath(widths, j, i));
            }

            fuse.Add(row);
        }

        RegisterComponents();
    }

    public int Branches => (int)branches.Count;

    public List<Tensor> Forward(IReadOnlyList<Tensor> inputs)
    {
        var x = inputs.Select((t, b) => branches[b].call(t)).ToList();
        var outputs = new List<Tensor>(x.Count);
        for (var i = 0; i < x.Count; i++)
        {
            Tensor? sum = null;
            for (var j = 0; j < x.Count; j++)
            {
                var y = fuse[i][j].call(x[j]);
                y = j > i ? Upsample.Like(y, x[i]) : y;
                sum = sum is null ? y : sum + y;
            }

            outputs.Add(functional.relu(sum!));
        }

        return outputs;
    }

    public List<string> Emit(OnnxGraph graph, IReadOnlyList<string> inputs)
    {
        var x = inputs.Select((t, b) => graph.Module(branches[b], t)).ToList();
        var outputs = new List<string>(x.Count);
        for (var i = 0; i < x.Count; i++)
        {
            string? sum = null;
            for (var j = 0; j < x.Count; j++)
            {
                var y = graph.Module(fuse[i][j], x[j]);
                y = j > i ? graph.ResizeLike(y, x[i]) : y;
                sum = sum is null ? y : graph.Add(sum, y);
            }

            outputs.Add(graph.Relu(sum!));
        }

        return outputs;
    }

    /// <summary>Not used: a module maps a list of branches (<see cref="Forward"/>).</summary>
    public override Tensor forward(Tensor input) => throw new NotSupportedException("HighResolutionModule takes one tensor per branch");

    private static Sequential DownPath(long[] widths, int from, int to)
    {
        var path = Sequential();
        for (var k = from; k < to; k++)
        {
            var last = k == to - 1;
            path.append(new ConvBnAct(widths[from], last ? widths[to] : widths[from], 3, stride: 2, relu: !last));
        }

        return path;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            branches.Dispose();
            fuse.Dispose();
        }

        base.Dispose(disposing);
    }
}
