using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Upsample = PaddleX.Cloud.Vision.Models.Backbones.Upsample;

namespace PaddleX.Cloud.Vision.Models.Segmentation;

/// <summary>
/// DeepLabV3+ on a dilated ResNet_vd: ASPP (1×1, three 3×3 atrous convolutions at rates 12/24/36 for output
/// stride 8 or 6/12/18 for 16, and image pooling; 256 channels each, merged by a 1×1 convolution) and the
/// decoder (stage-1 features reduced to 48 channels, concatenated with the up-sampled ASPP output, two
/// 3×3 convolutions, a 1×1 classifier), up-sampled to the input size.
/// </summary>
public sealed class DeepLabV3P : Module<Tensor, Tensor>, IOnnxExportable
{
    private const long AsppChannels = 256;

    private readonly ResNetVd backbone;
    private readonly ModuleList<ConvBnAct> aspp = new();
    private readonly ConvBnAct imagePool;
    private readonly ConvBnAct asppProject;
    private readonly Dropout asppDropout;
    private readonly ConvBnAct lowProject;
    private readonly Sequential decoder;
    private readonly Conv2d cls;

    public DeepLabV3P(int numClasses, int inChannels, int depth, int outputStride = 8)
        : base(nameof(DeepLabV3P))
    {
        backbone = new ResNetVd(depth, inChannels, outputStride);
        long[] rates = outputStride == 8 ? [12, 24, 36] : [6, 12, 18];
        aspp.Add(new ConvBnAct(ResNetVd.HighLevelChannels, AsppChannels, 1));
        foreach (var rate in rates)
        {
            aspp.Add(new ConvBnAct(ResNetVd.HighLevelChannels, AsppChannels, 3, dilation: rate));
        }

        imagePool = new ConvBnAct(ResNetVd.HighLevelChannels, AsppChannels, 1, batchNorm: false);
        asppProject = new ConvBnAct(AsppChannels * (rates.Length + 2), AsppChannels, 1);
        asppDropout = Dropout(0.1);
        lowProject = new ConvBnAct(ResNetVd.LowLevelChannels, 48, 1);
        decoder = Sequential(new ConvBnAct(AsppChannels + 48, 256, 3), new ConvBnAct(256, 256, 3));
        cls = Conv2d(256, numClasses, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (low, high) = backbone.Features(input);
        var branches = aspp.Select(b => b.call(high)).ToList();
        var pooled = imagePool.call(functional.adaptive_avg_pool2d(high, 1));
        branches.Add(pooled.expand(-1, -1, high.shape[2], high.shape[3]));
        var x = asppDropout.call(asppProject.call(cat(branches, 1)));
        x = decoder.call(cat([Upsample.Like(x, low), lowProject.call(low)], 1));
        return Upsample.Like(cls.call(x), input).MoveToOuterDisposeScope();
    }

    public string EmitOnnx(OnnxGraph graph, string input)
    {
        var (low, high) = backbone.EmitFeatures(graph, input);
        var branches = aspp.Select(b => graph.Module(b, high)).ToList();
        var pooled = graph.Module(imagePool, graph.GlobalAveragePool(high));
        branches.Add(graph.ResizeLike(pooled, high));
        var x = graph.Module(asppProject, graph.Concat(branches));
        x = graph.Module(decoder, graph.Concat([graph.ResizeLike(x, low), graph.Module(lowProject, low)]));
        return graph.ResizeLike(graph.Conv(cls, x), input);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            backbone.Dispose();
            aspp.Dispose();
            imagePool.Dispose();
            asppProject.Dispose();
            asppDropout.Dispose();
            lowProject.Dispose();
            decoder.Dispose();
            cls.Dispose();
        }

        base.Dispose(disposing);
    }
}
