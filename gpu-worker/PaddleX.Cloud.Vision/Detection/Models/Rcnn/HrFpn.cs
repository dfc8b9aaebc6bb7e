using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Upsample = PaddleX.Cloud.Vision.Models.Backbones.Upsample;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// HRNet's pyramid neck (PaddleX's HRFPN): every branch up-sampled to the finest resolution and concatenated, a 1×1
/// reduction to the pyramid width, average pooling by 2, 4, 8 and 16 for the coarser levels, and a 3×3 convolution
/// per level (no biases). Five levels, strides 4 to 64, like the FPN's.
/// </summary>
internal sealed class HrFpn : Module<Tensor, Tensor>, IPyramidNeck
{
    private const int Levels = 5;
    private readonly Conv2d reduction;
    private readonly ModuleList<Conv2d> fpn_conv = new();

    public HrFpn(IReadOnlyList<long> inChannels, long outChannels)
        : base(nameof(HrFpn))
    {
        reduction = Conv2d(inChannels.Sum(), outChannels, 1, bias: false);
        for (var i = 0; i < Levels; i++)
        {
            fpn_conv.Add(Conv2d(outChannels, outChannels, 3, padding: 1, bias: false));
        }

        OutChannels = outChannels;
        RegisterComponents();
    }

    public long OutChannels { get; }

    List<Tensor> IPyramidNeck.Levels(IReadOnlyList<Tensor> stages)
    {
        var merged = reduction.call(cat(stages.Select(s => Upsample.Like(s, stages[0])).ToList(), 1));
        var outputs = new List<Tensor> { fpn_conv[0].call(merged) };
        for (var i = 1; i < Levels; i++)
        {
            outputs.Add(fpn_conv[i].call(functional.avg_pool2d(merged, 1L << i, 1L << i)));
        }

        return outputs;
    }

    List<string> IPyramidNeck.EmitLevels(OnnxGraph graph, IReadOnlyList<string> stages)
    {
        var merged = graph.Conv(reduction, graph.Concat(stages.Select(s => graph.ResizeLike(s, stages[0])).ToList()));
        var outputs = new List<string> { graph.Conv(fpn_conv[0], merged) };
        for (var i = 1; i < Levels; i++)
        {
            outputs.Add(graph.Conv(fpn_conv[i], graph.AveragePool(merged, 1L << i, 1L << i, 0, countIncludePad: true)));
        }

        return outputs;
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("call Levels with the branches");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            reduction.Dispose();
            fpn_conv.Dispose();
        }

        base.Dispose(disposing);
    }
}
