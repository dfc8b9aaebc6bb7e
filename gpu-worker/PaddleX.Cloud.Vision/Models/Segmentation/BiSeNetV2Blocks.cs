using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Upsample = PaddleX.Cloud.Vision.Models.Backbones.Upsample;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>BiSeNetV2's stem (stride 4): a strided 3×3 conv, then a conv branch (1×1 halving, strided 3×3)
/// beside a max-pool branch, concatenated and fused by a 3×3 conv.</summary>
internal sealed class StemBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ConvBnAct conv;
    private readonly Sequential left;
    private readonly ConvBnAct fuse;

    public StemBlock(long inChannels, long outChannels)
        : base(nameof(StemBlock))
    {
        conv = new ConvBnAct(inChannels, outChannels, 3, stride: 2);
        left = Sequential(new ConvBnAct(outChannels, outChannels / 2, 1), new ConvBnAct(outChannels / 2, outChannels, 3, stride: 2));
        fuse = new ConvBnAct(outChannels * 2, outChannels, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv.call(input);
        return fuse.call(cat([left.call(x), functional.max_pool2d(x, 3, 2, 1)], 1)).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var x = graph.Module(conv, input);
        return graph.Module(fuse, graph.Concat([graph.Module(left, x), graph.MaxPool(x, 3, 2, 1)]));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
            left.Dispose();
            fuse.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>BiSeNetV2's gather-and-expansion layer (expansion 6): 3×3 conv, depthwise expansion (two depthwise
/// 3×3 when strided), linear 1×1 projection; the strided form has a depthwise + 1×1 shortcut. ReLU after the sum.</summary>
internal static class GatherExpansion
{
    public static ResidualUnit Create(long inChannels, long outChannels, long stride)
    {
        var expanded = inChannels * 6;
        var layers = new List<Module<Tensor, Tensor>>
        {
            new ConvBnAct(inChannels, inChannels, 3),
            new ConvBnAct(inChannels, expanded, 3, stride: stride, groups: inChannels, relu: false),
        };
        Sequential? shortcut = null;
        if (stride == 2)
        {
            layers.Add(new ConvBnAct(expanded, expanded, 3, groups: expanded, relu: false));
            shortcut = Sequential(new ConvBnAct(inChannels, inChannels, 3, stride: 2, groups: inChannels, relu: false), new ConvBnAct(inChannels, outChannels, 1, relu: false));
        }

        layers.Add(new ConvBnAct(expanded, outChannels, 1, relu: false));
        return new ResidualUnit(Sequential(layers.ToArray()), shortcut);
    }
}

/// <summary>Context embedding: global average pooling through a 1×1 conv-ReLU, added back to the features,
/// then a 3×3 conv.</summary>
internal sealed class ContextEmbedding : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ConvBnAct pooled;
    private readonly ConvBnAct conv;

    public ContextEmbedding(long channels)
        : base(nameof(ContextEmbedding))
    {
        pooled = new ConvBnAct(channels, channels, 1, batchNorm: false);
        conv = new ConvBnAct(channels, channels, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var g = pooled.call(functional.adaptive_avg_pool2d(input, 1));
        return conv.call(input + g).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input) =>
        graph.Module(conv, graph.Add(input, graph.Module(pooled, graph.GlobalAveragePool(input))));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pooled.Dispose();
            conv.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Bilateral guided aggregation: each branch gates the other at its own resolution (sigmoid
/// attention), the semantic result is up-sampled to the detail resolution, summed and fused by a 3×3 conv.</summary>
internal sealed class GuidedAggregation : Module<Tensor, Tensor>
{
    private readonly Sequential detailKeep;
    private readonly ConvBnAct detailDown;
    private readonly Sequential semanticKeep;
    private readonly ConvBnAct semanticUp;
    private readonly ConvBnAct fuse;

    public GuidedAggregation(long channels)
        : base(nameof(GuidedAggregation))
    {
        detailKeep = Sequential(new ConvBnAct(channels, channels, 3, groups: channels, relu: false), Conv2d(channels, channels, 1));
        detailDown = new ConvBnAct(channels, channels, 3, stride: 2, relu: false);
        semanticKeep = Sequential(new ConvBnAct(channels, channels, 3, groups: channels, relu: false), Conv2d(channels, channels, 1));
        semanticUp = new ConvBnAct(channels, channels, 3, relu: false);
        fuse = new ConvBnAct(channels, channels, 3);
        RegisterComponents();
    }

    public Tensor Forward(Tensor detail, Tensor semantic)
    {
        using var scope = NewDisposeScope();
        var keep = detailKeep.call(detail);
        var down = functional.avg_pool2d(detailDown.call(detail), 3, 2, 1, count_include_pad: false);
        var up = Upsample.Like(semanticUp.call(semantic), keep).sigmoid_();
        var detailPart = keep * up;
        var semanticPart = Upsample.Like(down * semanticKeep.call(semantic).sigmoid_(), detailPart);
        return fuse.call(detailPart + semanticPart).MoveToOuterDisposeScope();
    }

    public string Emit(OnnxGraph graph, string detail, string semantic)
    {
        var keep = graph.Module(detailKeep, detail);
        var down = graph.AveragePool(graph.Module(detailDown, detail), 3, 2, 1, countIncludePad: false);
        var up = graph.Sigmoid(graph.ResizeLike(graph.Module(semanticUp, semantic), keep));
        var detailPart = graph.Mul(keep, up);
        var semanticPart = graph.ResizeLike(graph.Mul(down, graph.Sigmoid(graph.Module(semanticKeep, semantic))), detailPart);
        return graph.Module(fuse, graph.Add(detailPart, semanticPart));
    }

    /// <summary>Not used: aggregation takes the two branches (<see cref="Forward"/>).</summary>
    public override Tensor forward(Tensor input) => throw new NotSupportedException("GuidedAggregation takes the detail and semantic features");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            detailKeep.Dispose();
            detailDown.Dispose();
            semanticKeep.Dispose();
            semanticUp.Dispose();
            fuse.Dispose();
        }

        base.Dispose(disposing);
    }
}
