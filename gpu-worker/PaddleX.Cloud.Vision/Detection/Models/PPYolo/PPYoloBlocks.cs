using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Runtime;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using DataType = PaddleX.Cloud.Vision.Export.Onnx.TensorProto.Types.DataType;
using GroupBuilder = PaddleX.Cloud.Vision.Slim.PrunableGroups.GroupBuilder;

namespace PaddleX.Cloud.Vision.Detection.Models.PPYolo;

/// <summary>
/// CoordConv: the input with two more channels holding each pixel's x and y position in [−1, 1], then a convolution
/// unit, so the layer can tell where it is. (PaddleDetection's coordinates span [−1, −0.5] by an operator-precedence
/// slip; these span the whole range the CoordConv paper describes.) State-dict names <c>conv.*</c>.
/// </summary>
public sealed class CoordConv : Module<Tensor, Tensor>, IOnnxExportable, IPrunableUnit
{
    private readonly ConvNormAct conv;

    public CoordConv(long inChannels, long outChannels, long kernel)
        : base(nameof(CoordConv))
    {
        conv = new ConvNormAct(inChannels + 2, outChannels, kernel);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0], h = input.shape[2], w = input.shape[3];
        var gx = Ramp(w, input).view(1, 1, 1, w).expand(b, 1, h, w);
        var gy = Ramp(h, input).view(1, 1, h, 1).expand(b, 1, h, w);
        return conv.call(cat([input, gx, gy], 1)).MoveToOuterDisposeScope();
    }

    /// <summary>The convolution reads the input's channels first; the two coordinate channels after them never prune.</summary>
    IEnumerable<ChannelConsumer> IPrunableUnit.Readers(string path, int offset) => [new ChannelConsumer($"{path}.conv.conv", offset)];

    GroupBuilder? IPrunableUnit.Output(string path, GroupBuilder? input, List<ChannelGroup> groups) => ConvNormAct.Group($"{path}.conv");

    /// <summary>The coordinate channels are computed from the input's shape inside the graph, so the layer needs no
    /// size at export time.</summary>
    public string EmitOnnx(OnnxGraph graph, string input)
    {
        string shape = graph.Node("Shape", [input]);
        string Dim(long axis) => graph.Node("Gather", [shape, graph.Longs(axis)]); // [1]
        string h = Dim(2), w = Dim(3);
        string size = graph.Node("Concat", [Dim(0), graph.Longs(1), h, w], OnnxGraph.Attr("axis", 0L));
        string gx = graph.Node("Expand", [graph.Node("Reshape", [OnnxRamp(graph, w), graph.Longs(1, 1, 1, -1)]), size]);
        string gy = graph.Node("Expand", [graph.Node("Reshape", [OnnxRamp(graph, h), graph.Longs(1, 1, -1, 1)]), size]);
        return conv.EmitOnnx(graph, graph.Concat([input, gx, gy]));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>−1 … 1 over <paramref name="n"/> positions (0 for a single one).</summary>
    private static Tensor Ramp(long n, Tensor like) =>
        n == 1 ? zeros(1, like.dtype, like.device) : linspace(-1, 1, n, like.dtype, like.device);

    /// <summary><see cref="Ramp"/> in the graph for a length held as a one-element int64 tensor:
    /// (2i − (n − 1)) / max(n − 1, 1), which is 0 for a single position.</summary>
    private static string OnnxRamp(OnnxGraph g, string n)
    {
        string count = g.Node("Cast", [g.Node("Squeeze", [n, g.Longs(0)])], OnnxGraph.Attr("to", (long)DataType.Float));
        string i = g.Node("Range", [g.Scalar(0f), count, g.Scalar(1f)]);
        string last = g.Node("Sub", [count, g.Scalar(1f)]);
        return g.Node("Div", [g.Node("Sub", [g.Mul(i, g.Scalar(2f)), last]), g.Node("Max", [last, g.Scalar(1f)])]);
    }
}

/// <summary>Spatial pyramid pooling: the input concatenated with its stride-1 max pools of 5, 9 and 13 pixels, then
/// a 1×1 convolution unit back to <c>outChannels</c> — a wide receptive field at the deepest level. State-dict names
/// <c>conv.*</c>.</summary>
public sealed class Spp : Module<Tensor, Tensor>, IOnnxExportable, IPrunableUnit
{
    private static readonly long[] Pools = [5, 9, 13];

    private readonly ConvNormAct conv;
    private readonly long inChannels;

    /// <param name="inChannels">channels of the input (the convolution sees four times as many).</param>
    public Spp(long inChannels, long outChannels, Activation act = Activation.Leaky)
        : base(nameof(Spp))
    {
        conv = new ConvNormAct(inChannels * (Pools.Length + 1), outChannels, 1, act: act);
        this.inChannels = inChannels;
        RegisterComponents();
    }

    /// <summary>The convolution reads every input channel four times: as it is and after each pool.</summary>
    IEnumerable<ChannelConsumer> IPrunableUnit.Readers(string path, int offset) =>
        Enumerable.Range(0, Pools.Length + 1).Select(k => new ChannelConsumer($"{path}.conv.conv", offset + (k * (int)inChannels)));

    GroupBuilder? IPrunableUnit.Output(string path, GroupBuilder? input, List<ChannelGroup> groups) => ConvNormAct.Group($"{path}.conv");

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor> { input };
        parts.AddRange(Pools.Select(k => functional.max_pool2d(input, k, 1, k / 2)));
        return conv.call(cat(parts, 1)).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var parts = new List<string> { input };
        parts.AddRange(Pools.Select(k => graph.MaxPool(input, k, 1, k / 2)));
        return conv.EmitOnnx(graph, graph.Concat(parts));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// DropBlock regularisation (training only): zeroes whole <c>blockSize</c>² squares around random seeds instead of
/// single activations, then rescales so the expected sum is unchanged. The seed rate is chosen so about
/// 1 − <c>keepProb</c> of the map is dropped (PaddleDetection's formula). A map smaller than a block passes unchanged
/// (the formula divides by zero there). No parameters; the identity at inference and in ONNX.
/// </summary>
public sealed class DropBlock : Module<Tensor, Tensor>, IOnnxExportable, IPrunableUnit
{
    private readonly long blockSize;
    private readonly double keepProb;

    public DropBlock(long blockSize = 3, double keepProb = 0.9)
        : base(nameof(DropBlock))
    {
        this.blockSize = blockSize;
        this.keepProb = keepProb;
    }

    public override Tensor forward(Tensor input)
    {
        long h = input.shape[2], w = input.shape[3];
        if (!training || keepProb >= 1 || h < blockSize || w < blockSize)
        {
            return input.alias();
        }

        using var scope = NewDisposeScope();
        var gamma = (1 - keepProb) / (blockSize * blockSize) * h / (h - blockSize + 1) * w / (w - blockSize + 1);
        Tensor seeds;
        using (no_grad())
        {
            seeds = rand_like(input).lt(gamma).to_type(input.dtype);
        }

        var keep = 1 - functional.max_pool2d(seeds, blockSize, 1, blockSize / 2);
        var scale = keep.numel() / keep.sum().clamp_min(HeldScalars.One);
        return input.mul(keep).mul(scale).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input) => input;

    /// <summary>Drops whole positions, never channels: its output channels are its input's.</summary>
    IEnumerable<ChannelConsumer> IPrunableUnit.Readers(string path, int offset) => [];

    GroupBuilder? IPrunableUnit.Output(string path, GroupBuilder? input, List<ChannelGroup> groups) => input;
}

/// <summary>
/// PP-YOLOv2's cross-stage-partial detection block: two 1×1 branches from the input, one through a stack of
/// convolution units (<c>conv_module</c>), concatenated and fused by a 1×1 unit to twice the branch width (state-dict
/// names <c>conv1</c>, <c>conv2</c>, <c>conv_module</c>, <c>conv3</c>). Mish throughout.
/// </summary>
public sealed class CspDetBlock : Module<Tensor, Tensor>, IOnnxExportable, IPrunableUnit
{
    private readonly ConvNormAct conv1;
    private readonly ConvNormAct conv2;
    private readonly Sequential conv_module;
    private readonly ConvNormAct conv3;
    private readonly long branchChannels;

    public CspDetBlock(long inChannels, long channels, Sequential convModule)
        : base(nameof(CspDetBlock))
    {
        branchChannels = channels;
        conv1 = new ConvNormAct(inChannels, channels, 1, act: Activation.Mish);
        conv2 = new ConvNormAct(inChannels, channels, 1, act: Activation.Mish);
        conv_module = convModule;
        conv3 = new ConvNormAct(channels * 2, channels * 2, 1, act: Activation.Mish);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var left = conv_module.call(conv1.call(input));
        return conv3.call(cat([left, conv2.call(input)], 1)).MoveToOuterDisposeScope();
    }

    /// <summary>Both branches read the input.</summary>
    IEnumerable<ChannelConsumer> IPrunableUnit.Readers(string path, int offset) =>
        [new ChannelConsumer($"{path}.conv1.conv", offset), new ChannelConsumer($"{path}.conv2.conv", offset)];

    /// <summary>The first branch's 1×1 is read by the stack, whose output comes first in the concatenation <c>conv3</c>
    /// reads; the second branch's 1×1 comes after it; <c>conv3</c> makes the block's output group.</summary>
    GroupBuilder? IPrunableUnit.Output(string path, GroupBuilder? input, List<ChannelGroup> groups)
    {
        var (stackReaders, left) = UnitChain.Walk(conv_module.named_children().Select(c => ($"{path}.conv_module.{c.name}", c.module)), groups);
        var first = ConvNormAct.Group($"{path}.conv1");
        groups.Add(UnitChain.Read(first, stackReaders(0)).Build());
        groups.Add((left ?? throw new NotSupportedException($"{path}: a stack without convolutions")).Consumer($"{path}.conv3.conv").Build());
        groups.Add(ConvNormAct.Group($"{path}.conv2").Consumer($"{path}.conv3.conv", (int)branchChannels).Build());
        return ConvNormAct.Group($"{path}.conv3");
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var left = graph.Module(conv_module, conv1.EmitOnnx(graph, input));
        return conv3.EmitOnnx(graph, graph.Concat([left, conv2.EmitOnnx(graph, input)]));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            conv2.Dispose();
            conv_module.Dispose();
            conv3.Dispose();
        }

        base.Dispose(disposing);
    }
}
