using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Segmentation;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>
/// The "vd" ResNet (ResNet-D) shared by segmentation (DeepLabV3P) and detection (PP-YOLO): a deep stem of three 3×3
/// convolutions, four stages of basic blocks (depth 18, 34) or bottlenecks (50, 101) whose down-sampling shortcut
/// average-pools before its 1×1 convolution, the last stages optionally dilated instead of strided (output stride 8
/// or 16 for segmentation), and optionally deformable 3×3 convolutions (DCNv2) in chosen bottleneck stages — the
/// <c>_dcn</c> backbones, which PaddleX builds with DCN in the last stage.
/// <see cref="Stages"/> returns the stage outputs (strides 4, 8, 16, 32 undilated; <see cref="StageChannels"/>); Faster
/// R-CNN's C4 layout builds three and runs <see cref="Stage"/> 4 per RoI.
/// </summary>
public sealed class ResNetVd : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential stem;
    private readonly ModuleList<Sequential> stages = new();

    /// <param name="depth">18, 34, 50 or 101.</param>
    /// <param name="outputStride">8 or 16 dilate the last stages (bottlenecks only); 32 keeps every stage strided.</param>
    /// <param name="deformableStages">stage indexes (0–3) whose 3×3 convolutions are deformable (bottlenecks only).</param>
    /// <param name="stageCount">how many stages to build (4; 3 when a detector runs the fourth per RoI, see <see cref="Stage"/>).</param>
    public ResNetVd(int depth, int inChannels = 3, int outputStride = 32, IReadOnlyCollection<int>? deformableStages = null, int stageCount = 4)
        : base(nameof(ResNetVd))
    {
        var bottleneck = IsBottleneck(depth);
        long[] dilations = outputStride switch
        {
            8 when bottleneck => [1, 1, 2, 4],
            16 when bottleneck => [1, 1, 1, 2],
            32 => [1, 1, 1, 1],
            _ => throw new ArgumentOutOfRangeException(nameof(outputStride), outputStride, "output stride is 8 or 16 (bottleneck depths) or 32"),
        };
        deformableStages ??= [];
        if (!bottleneck && deformableStages.Count > 0)
        {
            throw new ArgumentException("deformable stages need a bottleneck depth (50 or 101)", nameof(deformableStages));
        }

        StageChannels = Enumerable.Range(0, stageCount).Select(s => ChannelsOf(depth, s)).ToArray();
        stem = Sequential(
            ("conv1_1", new ConvBnAct(inChannels, 32, 3, stride: 2)),
            ("conv1_2", new ConvBnAct(32, 32, 3)),
            ("conv1_3", new ConvBnAct(32, 64, 3)));
        for (var s = 0; s < stageCount; s++)
        {
            stages.Add(Stage(depth, s, dilations[s], deformableStages.Contains(s)));
        }

        RegisterComponents();
    }

    /// <summary>Stage <paramref name="index"/> (0–3) of a ResNet_vd of <paramref name="depth"/>; strided unless dilated.</summary>
    public static Sequential Stage(int depth, int index, long dilation = 1, bool deformable = false)
    {
        int[] blocks = depth switch
        {
            18 => [2, 2, 2, 2],
            34 => [3, 4, 6, 3],
            50 => [3, 4, 6, 3],
            101 => [3, 4, 23, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "ResNet_vd depth is 18, 34, 50 or 101"),
        };
        var planes = 64L << index;
        var inCh = index == 0 ? 64 : ChannelsOf(depth, index - 1);
        var stage = Sequential();
        for (var b = 0; b < blocks[index]; b++)
        {
            var stride = b == 0 && index > 0 && dilation == 1 ? 2 : 1;
            stage.append(IsBottleneck(depth) ? Bottleneck(inCh, planes, stride, dilation, deformable) : Basic(inCh, planes, stride));
            inCh = ChannelsOf(depth, index);
        }

        return stage;
    }

    /// <summary>Output channels of stage <paramref name="index"/> of a ResNet_vd of <paramref name="depth"/>.</summary>
    public static long ChannelsOf(int depth, int index) => (64L << index) * (IsBottleneck(depth) ? 4 : 1);

    private static bool IsBottleneck(int depth) => depth >= 50;

    /// <summary>Bottleneck stage 1 and stage 4 channels (DeepLabV3P's low- and high-level features).</summary>
    public const long LowLevelChannels = 256;
    public const long HighLevelChannels = 2048;

    /// <summary>Channels of the stage outputs.</summary>
    public IReadOnlyList<long> StageChannels { get; }

    /// <summary>The stage outputs, shallow to deep.</summary>
    public Tensor[] Stages(Tensor input)
    {
        var outputs = new Tensor[stages.Count];
        var x = functional.max_pool2d(stem.call(input), 3, 2, 1);
        for (var s = 0; s < stages.Count; s++)
        {
            x = outputs[s] = stages[s].call(x);
        }

        return outputs;
    }

    /// <summary>(stage 1 output, stage 4 output).</summary>
    public (Tensor Low, Tensor High) Features(Tensor input)
    {
        var all = Stages(input);
        return (all[0], all[^1]);
    }

    public override Tensor forward(Tensor input) => Features(input).High;

    /// <summary>The graph values of the four stage outputs, shallow to deep.</summary>
    public string[] EmitStages(OnnxGraph graph, string input)
    {
        var outputs = new string[stages.Count];
        var x = graph.MaxPool(graph.Module(stem, input), 3, 2, 1);
        for (var s = 0; s < stages.Count; s++)
        {
            x = outputs[s] = graph.Module(stages[s], x);
        }

        return outputs;
    }

    /// <summary>The graph values of (stage 1 output, stage 4 output).</summary>
    public (string Low, string High) EmitFeatures(OnnxGraph graph, string input)
    {
        var all = EmitStages(graph, input);
        return (all[0], all[^1]);
    }

    public string EmitOnnx(OnnxGraph graph, string input) => EmitFeatures(graph, input).High;

    /// <summary>
    /// The prunable channel groups (module paths under <paramref name="prefix"/>): each of the first two stem
    /// convolutions; inside every residual block each convolution but the last, read by the next (a deformable 3×3
    /// through its weight and its offset convolution; it prunes its own output channels like any other); and the
    /// residual streams — the last stem convolution or a block's shortcut projection with the last convolution of every
    /// block added to it, read by each block's first convolution and the next shortcut. The stream leaving stage
    /// <i>s</i> is also read by <paramref name="readersAfter"/>(<i>s</i>).
    /// </summary>
    internal List<ChannelGroup> PrunableGroups(string prefix, Func<int, IEnumerable<ChannelConsumer>> readersAfter)
    {
        var groups = new List<ChannelGroup>();
        var stemUnits = stem.named_children().Select(c => $"{prefix}stem.{c.name}").ToList();
        for (var i = 0; i < stemUnits.Count - 1; i++)
        {
            groups.Add(ReadBy(Unit(stemUnits[i]), stemUnits[i + 1], stem.named_children().ElementAt(i + 1).module).Build());
        }

        var stream = Unit(stemUnits[^1]);
        for (var s = 0; s < stages.Count; s++)
        {
            foreach (var (name, block) in stages[s].named_children())
            {
                var path = $"{prefix}stages.{s}.{name}";
                var parts = block.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
                var body = parts["body"].named_children().ToList();
                for (var k = 0; k < body.Count - 1; k++)
                {
                    groups.Add(ReadBy(Unit($"{path}.body.{body[k].name}"), $"{path}.body.{body[k + 1].name}", body[k + 1].module).Build());
                }

                ReadBy(stream, $"{path}.body.{body[0].name}", body[0].module);
                if (parts.TryGetValue("shortcut", out var shortcut))
                {
                    // A down-sampling shortcut average-pools before its projection (child 1).
                    var projection = shortcut is Sequential ? $"{path}.shortcut.1" : $"{path}.shortcut";
                    groups.Add(stream.Consumer($"{projection}.conv").Build());
                    stream = Unit(projection);
                }

                stream.Producer($"{path}.body.{body[^1].name}.conv", $"{path}.body.{body[^1].name}.bn");
            }

            foreach (var reader in readersAfter(s))
            {
                stream.Consumer(reader.Module, reader.Offset);
            }
        }

        groups.Add(stream.Build());
        return groups;

        static Slim.PrunableGroups.GroupBuilder Unit(string path) => new Slim.PrunableGroups.GroupBuilder(path).Producer($"{path}.conv", $"{path}.bn");
    }

    /// <summary>Adds the unit at <paramref name="path"/> as a reader of <paramref name="group"/>: a deformable
    /// convolution's offset convolution reads the same channels as its weight.</summary>
    private static Slim.PrunableGroups.GroupBuilder ReadBy(Slim.PrunableGroups.GroupBuilder group, string path, nn.Module reader) =>
        reader is DeformConvBnAct ? group.Consumer($"{path}.conv").Consumer($"{path}.conv.conv_offset") : group.Consumer($"{path}.conv");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stem.Dispose();
            stages.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>1×1 → 3×3 (strided, dilated or deformable) → 1×1 (×4 channels), plus the shortcut; ReLU after the sum.</summary>
    private static ResidualUnit Bottleneck(long inChannels, long planes, long stride, long dilation, bool deformable)
    {
        var body = Sequential(
            new ConvBnAct(inChannels, planes, 1),
            deformable
                ? new DeformConvBnAct(planes, planes, 3, stride: stride, dilation: dilation)
                : new ConvBnAct(planes, planes, 3, stride: stride, dilation: dilation),
            new ConvBnAct(planes, planes * 4, 1, relu: false));
        return new ResidualUnit(body, Shortcut(inChannels, planes * 4, stride));
    }

    /// <summary>3×3 (strided) → 3×3, plus the shortcut; ReLU after the sum.</summary>
    private static ResidualUnit Basic(long inChannels, long planes, long stride)
    {
        var body = Sequential(
            new ConvBnAct(inChannels, planes, 3, stride: stride),
            new ConvBnAct(planes, planes, 3, relu: false));
        return new ResidualUnit(body, Shortcut(inChannels, planes, stride));
    }

    /// <summary>None when shapes match; else a 1×1 projection, after a 2×2 average pool when down-sampling (ResNet-D:
    /// the shortcut sees every pixel instead of a strided quarter).</summary>
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
