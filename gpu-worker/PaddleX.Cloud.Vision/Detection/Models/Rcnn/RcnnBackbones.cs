using PaddleX.Cloud.Vision.Models.Backbones;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>The Faster R-CNN backbones PaddleX 2.1 offers, each with its FPN (or, for ResNet50(_vd) without FPN, the
/// C4 layout: stages 1–3 as body, stage 4 as box head).</summary>
public static class RcnnBackbones
{
    private static readonly long[] BottleneckChannels = [256, 512, 1024, 2048];
    private static readonly long[] BasicChannels = [64, 128, 256, 512];

    /// <summary>Backbone names as PaddleX spells them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ResNet50", "ResNet50_vd", "ResNet50_vd_ssld", "ResNet34", "ResNet34_vd", "ResNet101", "ResNet101_vd", "HRNet_W18"];

    public static bool IsKnown(string name) => Names.Contains(name);

    /// <summary>Whether <c>with_fpn=false</c> is honoured (PaddleX forces FPN for every other backbone).</summary>
    public static bool SupportsC4(string name) => name is "ResNet50" or "ResNet50_vd";

    internal static (RcnnBackbone Backbone, Module<Tensor, Tensor> BoxHead, long HeadFeatures) Create(string name, bool withFpn, RcnnSettings settings)
    {
        var stages = withFpn ? 4 : 3;
        FeatureBody body = name switch
        {
            "ResNet34" => new ResNetBody(torchvision.models.resnet34(), stages, BasicChannels),
            "ResNet50" => new ResNetBody(torchvision.models.resnet50(), stages, BottleneckChannels),
            "ResNet101" => new ResNetBody(torchvision.models.resnet101(), stages, BottleneckChannels),
            "ResNet34_vd" => new ResNetVdBody(34, stages),
            "ResNet50_vd" or "ResNet50_vd_ssld" => new ResNetVdBody(50, stages),
            "ResNet101_vd" => new ResNetVdBody(101, stages),
            "HRNet_W18" => new HRNetBody(),
            _ => throw new ArgumentException($"Unknown Faster R-CNN backbone '{name}'. Valid backbones: {string.Join(", ", Names)}.", nameof(name)),
        };
        if (!withFpn)
        {
            var stage4 = body is ResNetBody resnet ? resnet.Rest[0] : ResNetVd.Stage(50, 3);
            var head = new Res5Head(stage4, BottleneckChannels[^1]);
            return (new RcnnBackbone(body, null), head, head.OutFeatures);
        }

        Module<Tensor, Tensor> neck = body is HRNetBody
            ? new HrFpn(body.Channels, settings.FpnChannels)
            : new FeaturePyramid(body.Channels, settings.FpnChannels);
        var boxHead = new TwoMlpHead(settings.FpnChannels * settings.RoiResolution * settings.RoiResolution, settings.BoxHeadWidth);
        return (new RcnnBackbone(body, neck), boxHead, boxHead.OutFeatures);
    }
}
