using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>
/// The "vd" ResNet (ResNet-D): a deep stem of three 3×3 convolutions, residual stages (basic blocks for depth 34,
/// bottlenecks for 50 and 101) whose down-sampling shortcut average-pools before its 1×1 convolution. As the
/// segmentation backbone the last stages are dilated instead of strided for output stride 8 (stages 3 and 4) or 16
/// (stage 4); detection uses output stride 32. <see cref="Features"/> returns stage 1 (stride 4) and stage 4,
/// <see cref="Stages"/> all four.
/// </summary>
public sealed class ResNetVd : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential stem;
    private readonly ModuleList<Sequential> stages = new();
    private readonly long[] channels = new long[4];

    /// <param name="stageCount">how many stages to build (4; 3 when a detector runs the fourth per RoI, see <see cref="Stage"/>).</param>
    public ResNetVd(int depth, int inChannels, int outputStride, int stageCount = 4)
        : base(nameof(ResNetVd))
    {
        long[] dilations = outputStride switch
        {
            8 => [1, 1, 2, 4],
            16 => [1, 1, 1, 2],
            32 => [1, 1, 1, 1],
            _ => throw new ArgumentOutOfRangeException(nameof(outputStride), outputStride, "output stride is 8, 16 or 32"),
        };
        stem = Sequential(
            ("conv1_1", new ConvBnAct(inChannels, 32, 3, stride: 2)),
            ("conv1_2", new ConvBnAct(32, 32, 3)),
            ("conv1_3", new ConvBnAct(32, 64, 3)));
        for (var s = 0; s < stageCount; s++)
        {
            stages.Add(Stage(depth, s, dilations[s]));
            channels[s] = StageChannels(depth, s);
        }

        RegisterComponents();
    }

    /// <summary>Stage <paramref name="index"/> (0–3) of a ResNet_vd of <paramref name="depth"/>; strided unless dilated.</summary>
    public static Sequential Stage(int depth, int index, long dilation = 1)
    {
        int[] blocks = depth switch
        {
            34 => [3, 4, 6, 3],
            50 => [3, 4, 6, 3],
            101 => [3, 4, 23, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "ResNet_vd depth is 34, 50 or 101"),
        };
        var planes = 64L << index;
        var inCh = index == 0 ? 64 : StageChannels(depth, index - 1);
        var stage = Sequential();
        for (var b = 0; b < blocks[index]; b++)
        {
            var stride = b == 0 && index > 0 && dilation == 1 ? 2 : 1;
            stage.append(depth == 34 ? Basic(inCh, planes, stride) : Bottleneck(inCh, planes, stride, dilation));
            inCh = StageChannels(depth, index);
        }

        return stage;
    }

    /// <summary>Output channels of stage <paramref name="index"/>.</summary>
    public static long StageChannels(int depth, int index) => (64L << index) * (depth == 34 ? 1 : 4);

    /// <summary>Output channels of the stages.</summary>
    public IReadOnlyList<long> Channels => channels[..(int)stages.Count];

    /// <summary>The outputs of the stages, finest first.</summary>
    public List<Tensor> Stages(Tensor input)
    {
        var x = functional.max_pool2d(stem.call(input), 3, 2, 1);
        var outputs = new List<Tensor>(stages.Count);
        foreach (var stage in stages)
        {
            x = stage.call(x);
            outputs.Add(x);
        }

        return outputs;
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

    /// <summary>Two 3×3 convolutions (the first strided) plus the shortcut, down-sampling like the bottleneck's.</summary>
    private static ResidualUnit Basic(long inChannels, long planes, long stride)
    {
        var body = Sequential(new ConvBnAct(inChannels, planes, 3, stride: stride), new ConvBnAct(planes, planes, 3, relu: false));
        return new ResidualUnit(body, Shortcut(inChannels, planes, stride));
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
        return new ResidualUnit(body, Shortcut(inChannels, planes * 4, stride));
    }

    private static Module<Tensor, Tensor>? Shortcut(long inChannels, long outChannels, long stride)
    {
        if (inChannels == outChannels && stride == 1)
        {
            return null;
        }

        var projection = new ConvBnAct(inChannels, outChannels, 1, relu: false);
        return stride == 2 ? Sequential(new AveragePool(2), projection) : projection;
    }
}
