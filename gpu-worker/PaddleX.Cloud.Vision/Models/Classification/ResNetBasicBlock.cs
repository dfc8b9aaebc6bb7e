using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Classification;

/// <summary>
/// The two-convolution residual block of ResNet18/34 with torchvision's child names (<c>conv1</c>, <c>bn1</c>,
/// <c>conv2</c>, <c>bn2</c>, <c>downsample</c>), for ResNet layouts torchvision has no constructor for (its own
/// block type is private). Same computation as torchvision's block.
/// </summary>
public sealed class ResNetBasicBlock : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public ResNetBasicBlock(int inPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample, Func<int, Module<Tensor, Tensor>>? normLayer)
        : base("BasicBlock")
    {
        normLayer ??= p => BatchNorm2d(p);
        conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = normLayer(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = normLayer(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = functional.relu(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        Tensor identity = downsample is null ? input : downsample.call(input);
        return x.add_(identity).relu_().MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            conv2.Dispose();
            bn2.Dispose();
            downsample?.Dispose();
        }

        base.Dispose(disposing);
    }
}
