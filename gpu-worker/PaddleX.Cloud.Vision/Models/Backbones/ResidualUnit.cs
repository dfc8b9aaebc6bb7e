using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Backbones;

/// <summary>
/// <c>body(x) + shortcut(x)</c> (the input itself without a shortcut), then ReLU unless <c>relu</c> is false: the
/// residual pattern of the ResNet bottleneck, HRNet's units, BiSeNetV2's gather-and-expansion layers and
/// MobileNetV2's inverted residual (state-dict names <c>body.*</c>, <c>shortcut.*</c>).
/// </summary>
public sealed class ResidualUnit : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential body;
    private readonly Module<Tensor, Tensor>? shortcut;
    private readonly bool relu;

    public ResidualUnit(Sequential body, Module<Tensor, Tensor>? shortcut = null, bool relu = true)
        : base(nameof(ResidualUnit))
    {
        this.body = body;
        this.shortcut = shortcut;
        this.relu = relu;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = body.call(input).add_(shortcut is null ? input : shortcut.call(input));
        return (relu ? y.relu_() : y).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var y = graph.Add(graph.Module(body, input), shortcut is null ? input : graph.Module(shortcut, input));
        return relu ? graph.Relu(y) : y;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
            shortcut?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Non-overlapping average pooling (kernel = stride, no padding): ResNet-D's down-sampling shortcut.</summary>
public sealed class AveragePool : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly long size;

    public AveragePool(long size)
        : base(nameof(AveragePool)) => this.size = size;

    public override Tensor forward(Tensor input) => functional.avg_pool2d(input, size, size);

    public string EmitOnnx(OnnxGraph graph, string input) => graph.AveragePool(input, size, size, 0, countIncludePad: false);
}
