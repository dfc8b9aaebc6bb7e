using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using GroupBuilder = PaddleX.Cloud.Vision.Slim.PrunableGroups.GroupBuilder;

namespace PaddleX.Cloud.Vision.Detection.Models.PPYolo;

/// <summary>
/// PP-YOLO's and PP-YOLO Tiny's feature pyramids as PaddleX 2.1 configures them (PaddleDetection's <c>PPYOLOFPN</c>
/// and <c>PPYOLOTinyFPN</c>). Both are YOLOv3's top-down flow (<see cref="YoloV3Fpn"/>) with other level contents.
/// </summary>
public static class PPYoloNecks
{
    /// <summary>
    /// PP-YOLO's pyramid. Level i (deep to shallow) has c = 64·2ⁿ/2ⁱ channels (n levels). With
    /// <paramref name="convBlocks"/> = 2 (ResNet50_vd_dcn) a block is 1×1 c, 3×3 2c, 1×1 c, [SPP at the deepest
    /// level], 3×3 2c, [DropBlock], route 1×1 c (DropBlock after the first pair on shallower levels); with 0
    /// (ResNet18_vd, MobileNetV3) it is [SPP on the input at the deepest level], [DropBlock], route 1×1 c. The tip is a
    /// 3×3 to 2c; the transition a 1×1 to 256/2ⁱ. With <paramref name="coordConv"/> the 1×1 units, the route and the
    /// tip are CoordConvs. Leaky ReLU throughout.
    /// </summary>
    /// <param name="inChannels">backbone channels, shallow to deep.</param>
    public static YoloV3Fpn Fpn(IReadOnlyList<long> inChannels, int convBlocks, bool coordConv = true, bool spp = true, bool dropBlock = true)
    {
        int n = inChannels.Count;
        var levels = new List<YoloFpnLevel>();
        for (int i = 0; i < n; i++)
        {
            long cIn = inChannels[n - 1 - i] + (i > 0 ? 512 >> i : 0);
            long channel = (64L << n) >> i;
            var units = new List<Module<Tensor, Tensor>>();
            if (convBlocks == 0 && spp && i == 0)
            {
                units.Add(new Spp(cIn, cIn));
            }

            if (convBlocks == 0 && dropBlock)
            {
                units.Add(new DropBlock());
            }

            long c = cIn;
            for (int j = 0; j < convBlocks; j++)
            {
                units.Add(Pointwise(c, channel, coordConv));
                if (i == 0 && j == 1 && spp)
                {
                    units.Add(new Spp(channel, channel));
                }

                units.Add(new ConvNormAct(channel, channel * 2, 3));
                if (dropBlock && j == (i == 0 ? 1 : 0))
                {
                    units.Add(new DropBlock());
                }

                c = channel * 2;
            }

            units.Add(Pointwise(c, channel, coordConv));
            Module<Tensor, Tensor> tip = coordConv ? new CoordConv(channel, channel * 2, 3) : new ConvNormAct(channel, channel * 2, 3);
            levels.Add(new YoloFpnLevel(Sequential(units), tip, channel * 2, i < n - 1 ? new ConvNormAct(channel, 256 >> i, 1) : null));
        }

        return new YoloV3Fpn(levels);
    }

    /// <summary>
    /// PP-YOLO Tiny's pyramid: level i has <paramref name="blockChannels"/>[i] channels; a block is [SPP on the input at
    /// the deepest level], [DropBlock], 1×1, depthwise 5×5, 1×1, depthwise 5×5 (the route); the tip and the transition
    /// are 1×1 units of the same width.
    /// </summary>
    /// <param name="inChannels">backbone channels, shallow to deep.</param>
    /// <param name="blockChannels">deep to shallow (PaddleX: 160, 128, 96).</param>
    public static YoloV3Fpn TinyFpn(IReadOnlyList<long> inChannels, IReadOnlyList<long> blockChannels, bool spp = true, bool dropBlock = true)
    {
        int n = inChannels.Count;
        var levels = new List<YoloFpnLevel>();
        for (int i = 0; i < n; i++)
        {
            long cIn = inChannels[n - 1 - i], c = blockChannels[i];
            var units = new List<Module<Tensor, Tensor>>();
            if (i == 0 && spp)
            {
                units.Add(new Spp(cIn, cIn));
            }

            if (dropBlock)
            {
                units.Add(new DropBlock());
            }

            cIn += i > 0 ? blockChannels[i - 1] : 0;
            units.Add(new ConvNormAct(cIn, c, 1));
            units.Add(new ConvNormAct(c, c, 5, groups: c));
            units.Add(new ConvNormAct(c, c, 1));
            units.Add(new ConvNormAct(c, c, 5, groups: c));
            levels.Add(new YoloFpnLevel(Sequential(units), new ConvNormAct(c, c, 1), c, i < n - 1 ? new ConvNormAct(c, c, 1) : null));
        }

        return new YoloV3Fpn(levels);
    }

    private static Module<Tensor, Tensor> Pointwise(long inChannels, long outChannels, bool coordConv) =>
        coordConv ? new CoordConv(inChannels, outChannels, 1) : new ConvNormAct(inChannels, outChannels, 1);
}

/// <summary>
/// PP-YOLOv2's path-aggregation neck (PaddleDetection's <c>PPYOLOPAN</c>): a top-down pyramid of cross-stage-partial
/// blocks (level i: c = 512/2ⁱ, three 1×1/3×3 pairs with SPP in place of the second 3×3 at the deepest level and
/// DropBlock after the second pair; the block's output is both route and tip; transition 1×1 to c), then a
/// bottom-up path: the shallower output, down-sampled by a strided 3×3, is concatenated with the next deeper pyramid
/// output and fused by another CSP block. Mish throughout. Outputs deep to shallow, 1024, 512, 256 channels.
/// </summary>
public sealed class PPYoloPan : YoloNeck
{
    private readonly YoloV3Fpn fpn;
    private readonly ModuleList<ConvNormAct> pan_transitions = new();
    private readonly ModuleList<CspDetBlock> pan_blocks = new();

    /// <param name="inChannels">backbone channels, shallow to deep.</param>
    public PPYoloPan(IReadOnlyList<long> inChannels, bool spp = true, bool dropBlock = true)
        : base(nameof(PPYoloPan))
    {
        int n = inChannels.Count;
        var levels = new List<YoloFpnLevel>();
        for (int i = 0; i < n; i++)
        {
            long cIn = inChannels[n - 1 - i] + (i > 0 ? 512 >> (i - 1) : 0);
            long channel = 512 >> i;
            var block = new CspDetBlock(cIn, channel, Body(channel, spp && i == 0, dropBlock));
            levels.Add(new YoloFpnLevel(Sequential(block), Identity(), channel * 2,
                i < n - 1 ? new ConvNormAct(channel * 2, channel, 1, act: Activation.Mish) : null));
        }

        fpn = new YoloV3Fpn(levels);
        var fpnChannels = fpn.Channels;

        // Bottom-up, indexed like the pyramid (0 = deepest); built from the shallowest pair up.
        var outChannels = new long[n];
        outChannels[n - 1] = fpnChannels[n - 1];
        for (int i = 0; i < n - 1; i++)
        {
            long down = fpnChannels[i + 1];
            long channel = 512 >> i;
            pan_transitions.Add(new ConvNormAct(down, down, 3, stride: 2, act: Activation.Mish));
            pan_blocks.Add(new CspDetBlock(fpnChannels[i] + down, channel, Body(channel, spp: false, dropBlock)));
            outChannels[i] = channel * 2;
        }

        Channels = outChannels;
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; }

    public override Tensor[] forward(Tensor[] features)
    {
        var top = fpn.call(features);
        var outputs = new Tensor[top.Length];
        var route = outputs[^1] = top[^1];
        for (int i = top.Length - 2; i >= 0; i--)
        {
            route = outputs[i] = pan_blocks[i].call(cat([pan_transitions[i].call(route), top[i]], 1));
        }

        return outputs;
    }

    public override string[] EmitOnnx(OnnxGraph graph, string[] features)
    {
        var top = fpn.EmitOnnx(graph, features);
        var outputs = new string[top.Length];
        var route = outputs[^1] = top[^1];
        for (int i = top.Length - 2; i >= 0; i--)
        {
            route = outputs[i] = pan_blocks[i].EmitOnnx(graph, graph.Concat([pan_transitions[i].EmitOnnx(graph, route), top[i]]));
        }

        return outputs;
    }

    internal override IReadOnlyList<IReadOnlyList<ChannelConsumer>> InputReaders(string prefix) => fpn.InputReaders($"{prefix}fpn.");

    /// <summary>The pyramid's groups, its outputs read by the bottom-up path (the shallowest by the head and the first
    /// down-sampling, the others after the down-sampled channels by their CSP block); each down-sampling is a group
    /// read by its CSP block, whose output is read by the head and the next down-sampling.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> outputReaders)
    {
        int n = Channels.Count;
        var groups = new List<ChannelGroup>();
        var blockReaders = new Func<int, IReadOnlyList<ChannelConsumer>>[n - 1];
        var blockOutputs = new GroupBuilder?[n - 1];
        for (int i = 0; i < n - 1; i++)
        {
            (blockReaders[i], blockOutputs[i]) = UnitChain.Walk([($"{prefix}pan_blocks.{i}", pan_blocks[i])], groups);
        }

        IReadOnlyList<ChannelConsumer> Down(int i) => [new ChannelConsumer($"{prefix}pan_transitions.{i}.conv")];
        var fpnReaders = Enumerable.Range(0, n)
            .Select(i => i == n - 1 ? [.. outputReaders[i], .. Down(n - 2)] : blockReaders[i]((int)pan_transitions[i].OutChannels))
            .ToArray();
        groups.AddRange(fpn.PrunableGroups($"{prefix}fpn.", fpnReaders));
        for (int i = 0; i < n - 1; i++)
        {
            groups.Add(UnitChain.Read(ConvNormAct.Group($"{prefix}pan_transitions.{i}"), blockReaders[i](0)).Build());
            var output = UnitChain.Read(blockOutputs[i]!, outputReaders[i]);
            groups.Add((i > 0 ? UnitChain.Read(output, Down(i - 1)) : output).Build());
        }

        return groups;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fpn.Dispose();
            pan_transitions.Dispose();
            pan_blocks.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Three 1×1/3×3 pairs of width c, SPP in place of the second 3×3 when asked, DropBlock after the second pair.</summary>
    private static Sequential Body(long channel, bool spp, bool dropBlock)
    {
        var units = new List<Module<Tensor, Tensor>>();
        for (int j = 0; j < 3; j++)
        {
            units.Add(new ConvNormAct(channel, channel, 1, act: Activation.Mish));
            units.Add(j == 1 && spp ? new Spp(channel, channel, Activation.Mish) : new ConvNormAct(channel, channel, 3, act: Activation.Mish));
            if (j == 1 && dropBlock)
            {
                units.Add(new DropBlock());
            }
        }

        return Sequential(units);
    }
}
