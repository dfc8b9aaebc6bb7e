using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// The "vd" ResNet (ResNet-D) as a dilated segmentation backbone: a deep stem of three 3×3 convolutions,
/// bottleneck stages whose down-sampling shortcut average-pools before its 1×1 convolution, and the last
/// stages dilated instead of strided for output stride 8 (stages 3 and 4) or 16 (stage 4).
/// <see cref="Features"/> returns stage 1 (stride 4, 256 channels) and stage 4 (2048 channels).
/// </summary>
public sealed class ResNetVd : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential stem;
    private readonly ModuleList<Sequential> stages = new();

    public ResNetVd(int depth, int inChannels, int outputStride)
        : base(nameof(ResNetVd))
    {
        int[] blocks = depth switch
        {
            50 => [3, 4, 6, 3],
            101 => [3, 4, 23, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "ResNet_vd depth is 50 or 101"),
        };
        long[] dilations = outputStride switch
        {
            8 => [1, 1, 2, 4],
            16 => [1, 1, 1, 2],
            _ => throw new ArgumentOutOfRangeException(nameof(outputStride), outputStride, "output stride is 8 or 16"),
        };
        stem = Sequential(
            ("conv1_1", new ConvBnAct(inChannels, 32, 3, stride: 2)),
            ("conv1_2", new ConvBnAct(32, 32, 3)),
            ("conv1_3", new ConvBnAct(32, 64, 3)));
        long inCh = 64;
        for (var s = 0; s < 4; s++)
        {
            var planes = 64L << s;
            var stage = Sequential();
            for (var b = 0; b < blocks[s]; b++)
            {
                var stride = b == 0 && s > 0 && dilations[s] == 1 ? 2 : 1;
                stage.append(Bottleneck(inCh, planes, stride, dilations[s]));
                inCh = planes * 4;
            }

            stages.Add(stage);
        }

        RegisterComponents();
    }

    public const long LowLevelChannels = 256;
    public const long HighLevelChannels = 2048;

    /// <summary>(stage 1 output, stage 4 output).</summary>
    public (Tensor Low, Tensor High) Features(Tensor input)
    {
        var x = functional.max_pool2d(stem.call(input), 3, 2, 1);
        var low = stages[0].call(x);
        x = low;
        for (var s = 1; s < stages.Count; s++)
        {
            x = stages[s].call(x);
        }

        return (low, x);
    }

    public override Tensor forward(Tensor input) => Features(input).High;

    /// <summary>The graph values of (stage 1 output, stage 4 output).</summary>
    public (string Low, string High) EmitFeatures(OnnxGraph graph, string input)
    {
        var x = graph.MaxPool(graph.Module(stem, input), 3, 2, 1);
        var low = graph.Module(stages[0], x);
        x = low;
        for (var s = 1; s < stages.Count; s++)
        {
            x = graph.Module(stages[s], x);
        }

        return (low, x);
    }

    public string EmitOnnx(OnnxGraph graph, string input) => EmitFeatures(graph, input).High;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stem.Dispose();
            stages.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>1×1 → 3×3 (strided or dilated) → 1×1 (×4 channels), plus the shortcut; ReLU after the sum.
    /// ResNet-D's down-sampling shortcut average-pools, then applies a stride-1 1×1 convolution, so it sees
    /// every pixel.</summary>
    private static ResidualUnit Bottleneck(long inChannels, long planes, long stride, long dilation)
    {
        var body = Sequential(
            new ConvBnAct(inChannels, planes, 1),
            new ConvBnAct(planes, planes, 3, stride: stride, dilation: dilation),
            new ConvBnAct(planes, planes * 4, 1, relu: false));
        Module<Tensor, Tensor>? shortcut = null;
        if (inChannels != planes * 4 || stride != 1)
        {
            var projection = new ConvBnAct(inChannels, planes * 4, 1, relu: false);
            shortcut = stride == 2 ? Sequential(new AveragePool(2), projection) : projection;
        }

        return new ResidualUnit(body, shortcut);
    }
}
