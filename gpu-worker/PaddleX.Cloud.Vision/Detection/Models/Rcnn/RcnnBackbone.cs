using PaddleX.Cloud.Vision.Export;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// <c>body</c> (the backbone's stages) and, with FPN, <c>fpn</c> (the neck). With a neck the RPN sees every pyramid
/// level and the RoI heads all but the extra coarsest; without one both see the last stage (stride 16).
/// </summary>
internal sealed class RcnnBackbone : Module<Tensor, Tensor>
{
    private readonly FeatureBody body;
    private readonly Module<Tensor, Tensor>? fpn;

    public RcnnBackbone(FeatureBody body, Module<Tensor, Tensor>? neck)
        : base(nameof(RcnnBackbone))
    {
        this.body = body;
        fpn = neck;
        RegisterComponents();
    }

    /// <summary>Channels of the features the RPN and RoI heads see.</summary>
    public long OutChannels => fpn is IPyramidNeck neck ? neck.OutChannels : body.Channels[^1];

    public (List<Tensor> RpnLevels, RoiFeatures Roi) Features(Tensor images)
    {
        var stages = body.Stages(images);
        if (fpn is IPyramidNeck neck)
        {
            var levels = neck.Levels(stages);
            return (levels, new RoiFeatures(levels[..^1], body.Strides));
        }

        var last = stages[^1];
        return ([last], new RoiFeatures([last], [body.Strides[^1]]));
    }

    /// <summary>The graph values of <see cref="Features"/>: the RPN's levels, the RoI heads' levels and their strides.</summary>
    public (List<string> RpnLevels, IReadOnlyList<string> RoiLevels, IReadOnlyList<long> RoiStrides) EmitFeatures(OnnxGraph graph, string input)
    {
        var stages = body.EmitStages(graph, input);
        if (fpn is IPyramidNeck neck)
        {
            var levels = neck.EmitLevels(graph, stages);
            return (levels, levels[..^1], body.Strides);
        }

        return ([stages[^1]], [stages[^1]], [body.Strides[^1]]);
    }

    public override Tensor forward(Tensor input) => body.call(input);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
            fpn?.Dispose();
        }

        base.Dispose(disposing);
    }
}
