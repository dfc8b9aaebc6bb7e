using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>Convolution without bias → BatchNorm → optional ReLU: the unit every segmentation network
/// here is built from (state-dict names <c>conv.*</c>, <c>bn.*</c>). Branches that pool to a single pixel
/// use <c>batchNorm: false</c> (a biased convolution): BatchNorm over one value per channel fails at batch 1.</summary>
public sealed class ConvBnAct : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d? bn;
    private readonly bool relu;

    public ConvBnAct(long inChannels, long outChannels, long kernel, long stride = 1, long dilation = 1, long groups = 1, bool relu = true, bool batchNorm = true)
        : base(nameof(ConvBnAct))
    {
        conv = Conv2d(inChannels, outChannels, kernel, stride: stride, padding: dilation * (kernel - 1) / 2, dilation: dilation, groups: groups, bias: !batchNorm);
        bn = batchNorm ? BatchNorm2d(outChannels) : null;
        this.relu = relu;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var y = conv.call(input);
        y = bn is null ? y : bn.call(y);
        return relu ? y.relu_() : y;
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var y = graph.ConvBn(conv, bn, input);
        return relu ? graph.Relu(y) : y;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
            bn?.Dispose();
        }

        base.Dispose(disposing);
    }
}
