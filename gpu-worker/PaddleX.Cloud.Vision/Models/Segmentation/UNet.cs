using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// U-Net as PaddleX 2.x builds it: an encoder of double 3×3 conv-BN-ReLU blocks (64, 128, 256, 512, 512
/// channels, max-pooling between them), a decoder that resizes bilinearly to each skip connection,
/// concatenates it and applies a double conv (256, 128, 64, 64), and a 3×3 classifier.
/// </summary>
public sealed class UNet : Module<Tensor, Tensor>, IOnnxExportable, IPrunable
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

    /// <summary>Inside every double conv, the first convolution's channels (read by the second); and every double
    /// conv's output: an encoder output is read by the next encoder stage and, after the decoder's upsampled
    /// channels in the concatenation, by its decoder stage; a decoder output by the next stage or the classifier.</summary>
    public IReadOnlyList<ChannelGroup> PrunableGroups()
    {
        var encoder = Enumerable.Range(0, EncoderChannels.Length).Select(i => i == 0 ? "inc" : $"down.{i - 1}").ToList();
        var decoder = Enumerable.Range(0, DecoderChannels.Length).Select(i => $"up.{i}").ToList();
        var groups = encoder.Concat(decoder).Select(b => Group($"{b}.0", [new($"{b}.1.conv")])).ToList();
        for (var i = 0; i < encoder.Count; i++)
        {
            var readers = new List<ChannelConsumer>();
            if (i + 1 < encoder.Count)
            {
                readers.Add(new($"{encoder[i + 1]}.0.conv"));
                // Decoder stage j concatenates [upsampled, skip of encoder stage n-2-j]; the upsampled part comes first.
                var j = EncoderChannels.Length - 2 - i;
                readers.Add(new($"{decoder[j]}.0.conv", (int)(j == 0 ? EncoderChannels[^1] : DecoderChannels[j - 1])));
            }
            else
            {
                readers.Add(new($"{decoder[0]}.0.conv"));
            }

            groups.Add(Group($"{encoder[i]}.1", readers));
        }

        for (var j = 0; j < decoder.Count; j++)
        {
            groups.Add(Group($"{decoder[j]}.1", [new(j + 1 < decoder.Count ? $"{decoder[j + 1]}.0.conv" : "cls")]));
        }

        return groups;

        static ChannelGroup Group(string unit, IReadOnlyList<ChannelConsumer> readers) => new(unit, [$"{unit}.conv"], [$"{unit}.bn"], [], readers);
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
