using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>ResNet_vd (ResNet-D, shared with segmentation) at output stride 32: all four stages, or the first three
/// for the C4 layout (the box head then builds the fourth, <see cref="ResNetVd.Stage"/>).</summary>
internal sealed class ResNetVdBody : FeatureBody
{
    private readonly ResNetVd body;

    public ResNetVdBody(int depth, int stages)
        : base(nameof(ResNetVdBody))
    {
        body = new ResNetVd(depth, 3, 32, stageCount: stages);
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels => body.StageChannels;

    public override IReadOnlyList<long> Strides => Enumerable.Range(0, Channels.Count).Select(i => 4L << i).ToArray();

    public override List<Tensor> Stages(Tensor input) => [.. body.Stages(input)];

    public override string[] EmitStages(OnnxGraph graph, string input) => body.EmitStages(graph, input);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>HRNet-W18 without its segmentation head: the four branches as stages (strides 4 to 32).</summary>
internal sealed class HRNetBody : FeatureBody
{
    private readonly HRNetW18 body;

    public HRNetBody()
        : base(nameof(HRNetBody))
    {
        body = new HRNetW18(0, 3);
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels => HRNetW18.BranchChannels;

    public override IReadOnlyList<long> Strides => [4, 8, 16, 32];

    public override List<Tensor> Stages(Tensor input) => body.Branches(input);

    public override string[] EmitStages(OnnxGraph graph, string input) => [.. body.EmitBranches(graph, input)];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
        }

        base.Dispose(disposing);
    }
}
