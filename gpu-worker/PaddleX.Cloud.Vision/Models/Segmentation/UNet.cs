using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Upsample = PaddleX.Cloud.Vision.Models.Backbones.Upsample;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// U-Net as PaddleX 2.x builds it: an encoder of double 3×3 conv-BN-ReLU blocks (64, 128, 256, 512, 512
/// channels, max-pooling between them), a decoder that resizes bilinearly to each skip connection,
/// concatenates it and applies a double conv (256, 128, 64, 64), and a 3×3 classifier.
/// </summary>
public sealed class UNet : Module<Tensor, Tensor>, IOnnxExportable
{
    private static readonly long[] EncoderChannels = [64, 128, 256, 512, 512];
    private static readonly long[] DecoderChannels = [256, 128, 64, 64];

    private readonly Sequential inc;
    private readonly ModuleList<Sequential> down = new();
    private readonly ModuleList<Sequential> up = new();
    private readonly Conv2d cls;

    public UNet(int numClasses, int inChannels)
        : base(nameof(UNet))
    {
        inc = DoubleConv(inChannels, EncoderChannels[0]);
        for (var i = 1; i < EncoderChannels.Length; i++)
        {
            down.Add(DoubleConv(EncoderChannels[i - 1], EncoderChannels[i]));
        }

        var current = EncoderChannels[^1];
        for (var i = 0; i < DecoderChannels.Length; i++)
        {
            var skip = EncoderChannels[EncoderChannels.Length - 2 - i];
            up.Add(DoubleConv(current + skip, DecoderChannels[i]));
            current = DecoderChannels[i];
        }

        cls = Conv2d(current, numClasses, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var skips = new List<Tensor>();
        var x = inc.call(input);
        foreach (var block in down)
        {
            skips.Add(x);
            x = block.call(functional.max_pool2d(x, 2, 2));
        }

        for (var i = 0; i < up.Count; i++)
        {
            var skip = skips[^(i + 1)];
            x = up[i].call(cat([Upsample.Like(x, skip), skip], 1));
        }

        return cls.call(x).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var skips = new List<string>();
        var x = graph.Module(inc, input);
        foreach (var block in down)
        {
            skips.Add(x);
            x = graph.Module(block, graph.MaxPool(x, 2, 2, 0));
        }

        for (var i = 0; i < up.Count; i++)
        {
            var skip = skips[^(i + 1)];
            x = graph.Module(up[i], graph.Concat([graph.ResizeLike(x, skip), skip]));
        }

        return graph.Conv(cls, x);
    }

    private static Sequential DoubleConv(long inChannels, long outChannels) =>
        Sequential(new ConvBnAct(inChannels, outChannels, 3), new ConvBnAct(outChannels, outChannels, 3));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inc.Dispose();
            down.Dispose();
            up.Dispose();
            cls.Dispose();
        }

        base.Dispose(disposing);
    }
}
