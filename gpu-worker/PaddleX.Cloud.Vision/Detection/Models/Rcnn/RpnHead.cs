using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// The RPN head shared by every level: 3×3 convolution + ReLU, then per anchor one objectness logit and four box
/// deltas. State-dict names as TorchVision's (<c>conv.0.0</c>, <c>cls_logits</c>, <c>bbox_pred</c>).
/// </summary>
internal sealed class RpnHead : Module<Tensor, Tensor>
{
    private readonly Sequential conv;
    private readonly Conv2d cls_logits;
    private readonly Conv2d bbox_pred;

    public RpnHead(long inChannels, long anchorsPerCell)
        : base(nameof(RpnHead))
    {
        conv = Sequential(Sequential(Conv2d(inChannels, inChannels, 3, padding: 1), ReLU()));
        cls_logits = Conv2d(inChannels, anchorsPerCell, 1);
        bbox_pred = Conv2d(inChannels, anchorsPerCell * 4, 1);
        RegisterComponents();
        foreach (var c in modules().OfType<Conv2d>())
        {
            init.normal_(c.weight, std: 0.01);
            init.zeros_(c.bias);
        }
    }

    /// <summary>Objectness [B, H·W·A] and deltas [B, H·W·A, 4] of one level, in the anchor order of <see cref="AnchorGrid"/>.</summary>
    public (Tensor Objectness, Tensor Deltas) Level(Tensor feature)
    {
        using var scope = NewDisposeScope();
        var t = conv.call(feature);
        var (b, h, w) = (feature.shape[0], feature.shape[2], feature.shape[3]);
        var logits = cls_logits.call(t).permute(0, 2, 3, 1).reshape(b, -1);
        var deltas = bbox_pred.call(t).view(b, -1, 4, h, w).permute(0, 3, 4, 1, 2).reshape(b, -1, 4);
        return (logits.MoveToOuterDisposeScope(), deltas.MoveToOuterDisposeScope());
    }

    /// <summary>The graph values of <see cref="Level"/> for one picture: objectness [H·W·A] and deltas [H·W·A, 4].</summary>
    public (string Objectness, string Deltas) EmitLevel(OnnxGraph graph, string feature)
    {
        var t = graph.Module(conv, feature);
        var logits = graph.Node("Reshape", [graph.Node("Transpose", [graph.Conv(cls_logits, t)], OnnxGraph.Ints("perm", 0, 2, 3, 1)), graph.Longs(-1)]);
        // [1, A·4, H, W] → [A, 4, H·W] → [H·W, A, 4]: cell-major, then anchor, as the anchors are laid out.
        var deltas = graph.Node("Reshape", [graph.Conv(bbox_pred, t), graph.Longs(cls_logits.out_channels, 4, -1)]);
        deltas = graph.Node("Reshape", [graph.Node("Transpose", [deltas], OnnxGraph.Ints("perm", 2, 0, 1)), graph.Longs(-1, 4)]);
        return (logits, deltas);
    }

    public override Tensor forward(Tensor input) => Level(input).Objectness;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
            cls_logits.Dispose();
            bbox_pred.Dispose();
        }

        base.Dispose(disposing);
    }
}
