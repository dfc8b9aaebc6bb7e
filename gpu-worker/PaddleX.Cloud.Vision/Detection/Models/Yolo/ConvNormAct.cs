using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>The activation after a detection convolution unit.</summary>
public enum Activation
{
    None,
    Relu,

    /// <summary>Leaky ReLU with slope 0.1 (DarkNet and the YOLOv3 neck).</summary>
    Leaky,

    /// <summary><c>x·tanh(softplus(x))</c> (PP-YOLOv2's PAN neck).</summary>
    Mish,
}

/// <summary>Convolution without bias → BatchNorm → activation: PaddleDetection's <c>ConvBNLayer</c>, the unit the
/// YOLO backbones and neck are built from (state-dict names <c>conv.*</c>, <c>bn.*</c>).</summary>
public sealed class ConvNormAct : Module<Tensor, Tensor>, IOnnxExportable, IPrunableUnit
{
    public const double LeakySlope = 0.1;

    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly Activation act;

    public ConvNormAct(long inChannels, long outChannels, long kernel, long stride = 1, long groups = 1, Activation act = Activation.Leaky)
        : base(nameof(ConvNormAct))
    {
        conv = Conv2d(inChannels, outChannels, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false);
        bn = BatchNorm2d(outChannels);
        this.act = act;
        RegisterComponents();
    }

    public long OutChannels => conv.out_channels;

    /// <summary>A channel group produced by the unit at <paramref name="path"/> (its convolution and BatchNorm),
    /// named after it; the caller adds what else follows and reads the channels.</summary>
    internal static PrunableGroups.GroupBuilder Group(string path) => new PrunableGroups.GroupBuilder(path).Producer($"{path}.conv", $"{path}.bn");

    /// <summary>A depthwise unit follows its input channels one-to-one; any other reads them and makes its own.</summary>
    IEnumerable<ChannelConsumer> IPrunableUnit.Readers(string path, int offset) =>
        ModuleTree.IsDepthwise(conv) ? [] : [new ChannelConsumer($"{path}.conv", offset)];

    PrunableGroups.GroupBuilder? IPrunableUnit.Output(string path, PrunableGroups.GroupBuilder? input, List<ChannelGroup> groups) =>
        !ModuleTree.IsDepthwise(conv) ? Group(path)
        : input?.Depthwise($"{path}.conv", $"{path}.bn") ?? throw new NotSupportedException($"the depthwise convolution {path} starts a chain: its input channels are not declared");

    public override Tensor forward(Tensor input)
    {
        var y = bn.call(conv.call(input));
        return act switch
        {
            Activation.Relu => y.relu_(),
            Activation.Leaky => functional.leaky_relu(y, LeakySlope, inplace: true),
            Activation.Mish => functional.mish(y),
            _ => y,
        };
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var y = graph.ConvBn(conv, bn, input);
        return act switch
        {
            Activation.Relu => graph.Relu(y),
            Activation.Leaky => graph.Node("LeakyRelu", [y], OnnxGraph.Attr("alpha", (float)LeakySlope)),
            Activation.Mish => graph.Node("Mul", [y, graph.Node("Tanh", [graph.Node("Softplus", [y])])]),
            _ => y,
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
            bn.Dispose();
        }

        base.Dispose(disposing);
    }
}
