using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using GroupBuilder = PaddleX.Cloud.Vision.Slim.PrunableGroups.GroupBuilder;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>What a YOLO head reads: one feature map per level, deep to shallow (strides 32, 16, 8). PP-YOLO's
/// neck (CoordConv, SPP, DropBlock) is another implementation of this.</summary>
public abstract class YoloNeck(string name) : nn.Module<Tensor[], Tensor[]>(name)
{
    /// <summary>Channels of the returned maps, deep to shallow.</summary>
    public abstract IReadOnlyList<long> Channels { get; }

    /// <param name="features">the backbone's ONNX values, shallow to deep.</param>
    public abstract string[] EmitOnnx(OnnxGraph graph, string[] features);

    /// <summary>The neck's modules reading backbone map <i>f</i> (shallow to deep), paths under <paramref name="prefix"/>.</summary>
    /// <exception cref="NotSupportedException">the neck declares no prunable groups.</exception>
    internal virtual IReadOnlyList<IReadOnlyList<ChannelConsumer>> InputReaders(string prefix) =>
        throw new NotSupportedException($"the {GetName()} neck has no prunable channel groups declared");

    /// <summary>The neck's prunable channel groups, paths under <paramref name="prefix"/>; output <i>i</i> (deep to
    /// shallow) is read by <paramref name="outputReaders"/>[<i>i</i>] (the head's 1×1, which itself never prunes).</summary>
    internal virtual IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> outputReaders) =>
        throw new NotSupportedException($"the {GetName()} neck has no prunable channel groups declared");
}

/// <summary>
/// YOLOv3's feature pyramid (PaddleDetection's <c>YOLOv3FPN</c>): from the deepest map up, a detection block of
/// five convolutions (1×1 c, 3×3 2c, 1×1 c, 3×3 2c, 1×1 c; c = 512, 256, 128) gives the route, a 3×3 to 2c gives
/// the level's output; the route is reduced (1×1 to c/2), upsampled ×2 (nearest) and concatenated with the next
/// shallower backbone map. Leaky ReLU throughout. PP-YOLO's pyramids (<c>PPYoloNecks</c>) are the same top-down
/// flow with other blocks, tips and transitions (<see cref="YoloFpnLevel"/>).
/// </summary>
public sealed class YoloV3Fpn : YoloNeck
{
    private readonly ModuleList<Sequential> blocks = new();
    private readonly ModuleList<Module<Tensor, Tensor>> tips = new();
    private readonly ModuleList<Module<Tensor, Tensor>> transitions = new();

    /// <param name="inChannels">backbone channels, shallow to deep.</param>
    public YoloV3Fpn(IReadOnlyList<long> inChannels)
        : this(Levels(inChannels))
    {
    }

    /// <param name="levels">deep to shallow; every level but the last has a transition.</param>
    internal YoloV3Fpn(IReadOnlyList<YoloFpnLevel> levels)
        : base(nameof(YoloV3Fpn))
    {
        foreach (var level in levels)
        {
            blocks.Add(level.Block);
            tips.Add(level.Tip);
            if (level.Transition is not null)
            {
                transitions.Add(level.Transition);
            }
        }

        Channels = levels.Select(l => l.OutChannels).ToArray();
        RegisterComponents();
    }

    private static List<YoloFpnLevel> Levels(IReadOnlyList<long> inChannels)
    {
        int levels = inChannels.Count;
        var result = new List<YoloFpnLevel>();
        for (int i = 0; i < levels; i++)
        {
            long channel = 512 >> i;
            long input = inChannels[levels - 1 - i] + (i > 0 ? channel : 0);
            var block = Sequential(
                new ConvNormAct(input, channel, 1),
                new ConvNormAct(channel, channel * 2, 3),
                new ConvNormAct(channel * 2, channel, 1),
                new ConvNormAct(channel, channel * 2, 3),
                new ConvNormAct(channel * 2, channel, 1));
            result.Add(new YoloFpnLevel(block, new ConvNormAct(channel, channel * 2, 3), channel * 2,
                i < levels - 1 ? new ConvNormAct(channel, channel / 2, 1) : null));
        }

        return result;
    }

    public override IReadOnlyList<long> Channels { get; }

    public override Tensor[] forward(Tensor[] features)
    {
        var outputs = new List<Tensor>();
        Tensor? route = null;
        for (int i = 0; i < blocks.Count; i++)
        {
            Tensor x = features[features.Length - 1 - i];
            if (route is not null)
            {
                x = cat([route, x], 1);
            }

            Tensor r = blocks[i].call(x);
            outputs.Add(tips[i].call(r));
            if (i < transitions.Count)
            {
                route = functional.interpolate(transitions[i].call(r), scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
            }
        }

        return outputs.ToArray();
    }

    public override string[] EmitOnnx(OnnxGraph graph, string[] features)
    {
        var outputs = new List<string>();
        string? route = null;
        for (int i = 0; i < blocks.Count; i++)
        {
            string x = features[features.Length - 1 - i];
            if (route is not null)
            {
                x = graph.Concat([route, x]);
            }

            string r = graph.Module(blocks[i], x);
            outputs.Add(graph.Module(tips[i], r));
            if (i < transitions.Count)
            {
                route = graph.Node("Resize", [graph.Module(transitions[i], r), string.Empty, graph.Floats(1, 1, 2, 2)],
                    OnnxGraph.Attr("mode", "nearest"), OnnxGraph.Attr("nearest_mode", "floor"),
                    OnnxGraph.Attr("coordinate_transformation_mode", "asymmetric"));
            }
        }

        return outputs.ToArray();
    }

    /// <summary>Level <i>i</i>'s block reads the upsampled route first, then backbone map <c>L−1−i</c>.</summary>
    internal override IReadOnlyList<IReadOnlyList<ChannelConsumer>> InputReaders(string prefix)
    {
        var readers = BlockReaders(prefix, []);
        return Enumerable.Range(0, blocks.Count).Reverse()
            .Select(i => readers[i](i == 0 ? 0 : (int)((ConvNormAct)transitions[i - 1]).OutChannels))
            .ToArray();
    }

    /// <summary>Inside a level's block every unit's output is read by the next unit that reads
    /// (<see cref="IPrunableUnit"/>: CoordConv, SPP and DropBlock as well as plain units); the block's last output (the
    /// route) is read by the tip and the transition; a tip by the head, a transition by the next level's block.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> outputReaders)
    {
        var groups = new List<ChannelGroup>();
        var routes = new List<GroupBuilder>();
        var readers = BlockReaders(prefix, groups, routes);
        for (int i = 0; i < blocks.Count; i++)
        {
            var route = routes[i];
            var (tipReaders, tip) = UnitChain.Walk([($"{prefix}tips.{i}", tips[i])], groups);
            if (tip is null)
            {
                UnitChain.Read(route, outputReaders[i]);
            }
            else
            {
                UnitChain.Read(route, tipReaders(0));
                groups.Add(UnitChain.Read(tip, outputReaders[i]).Build());
            }

            if (i < transitions.Count)
            {
                var (transitionReaders, transition) = UnitChain.Walk([($"{prefix}transitions.{i}", transitions[i])], groups);
                UnitChain.Read(route, transitionReaders(0));
                groups.Add(UnitChain.Read(transition!, readers[i + 1](0)).Build());
            }

            groups.Add(route.Build());
        }

        return groups;
    }

    /// <summary>The readers of each level block's input by offset; the groups inside the blocks go to
    /// <paramref name="groups"/>, the open route groups to <paramref name="routes"/>.</summary>
    private List<Func<int, IReadOnlyList<ChannelConsumer>>> BlockReaders(string prefix, List<ChannelGroup> groups, List<GroupBuilder>? routes = null)
    {
        var readers = new List<Func<int, IReadOnlyList<ChannelConsumer>>>();
        for (int i = 0; i < blocks.Count; i++)
        {
            var (input, route) = UnitChain.Walk(blocks[i].named_children().Select(c => ($"{prefix}blocks.{i}.{c.name}", c.module)), groups);
            readers.Add(input);
            routes?.Add(route ?? throw new NotSupportedException($"level {i} of the {GetName()} neck has no convolution"));
        }

        return readers;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            blocks.Dispose();
            tips.Dispose();
            transitions.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>One level of a top-down YOLO pyramid: the block giving the route, the tip giving the level's output
/// (<see cref="OutChannels"/>), and the transition applied to the route before it is upsampled into the next level.</summary>
internal sealed record YoloFpnLevel(Sequential Block, Module<Tensor, Tensor> Tip, long OutChannels, Module<Tensor, Tensor>? Transition);
