using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>Deformable convolution (DCNv2, no bias) → BatchNorm → optional ReLU: <c>ConvBnAct</c> with a
/// <see cref="DeformConv2d"/> in place of the plain convolution (state-dict names <c>conv.*</c>, <c>bn.*</c>).
/// Exports to ONNX as the grid-sampling formulation, then the BatchNorm as a per-channel scale and shift.</summary>
public sealed class DeformConvBnAct : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly DeformConv2d conv;
    private readonly BatchNorm2d bn;
    private readonly bool relu;

    public DeformConvBnAct(long inChannels, long outChannels, long kernel, long stride = 1, long dilation = 1, bool relu = true)
        : base(nameof(DeformConvBnAct))
    {
        conv = new DeformConv2d(inChannels, outChannels, kernel, stride: stride, dilation: dilation);
        bn = BatchNorm2d(outChannels);
        this.relu = relu;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var y = bn.call(conv.call(input));
        return relu ? y.relu_() : y;
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var y = graph.BatchNorm(bn, conv.EmitOnnx(graph, input));
        return relu ? graph.Relu(y) : y;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv.Dispose();
            bn.Dispose();
        }

        base.Dispose(disposing);
    }
}
