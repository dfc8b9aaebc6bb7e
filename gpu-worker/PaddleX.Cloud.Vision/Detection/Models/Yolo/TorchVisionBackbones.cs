using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>TorchVision's ResNet34 without its classifier, returning <c>layer2</c>–<c>layer4</c> (128, 256, 512
/// channels at strides 8, 16, 32) as PaddleX's YOLOv3-ResNet34 does (return_idx 1, 2, 3). Child names stay
/// torchvision's, so ImageNet ResNet34 state dicts load by name.</summary>
public sealed class YoloResNet34 : YoloBackbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Module<Tensor, Tensor> layer1;
    private readonly Module<Tensor, Tensor> layer2;
    private readonly Module<Tensor, Tensor> layer3;
    private readonly Module<Tensor, Tensor> layer4;

    public YoloResNet34()
        : base("ResNet34")
    {
        // Not disposed: torchvision's modules dispose their children, which live on here; only the classifier goes.
        var c = torchvision.models.resnet34().named_children().ToDictionary(p => p.name, p => p.module);
        c["fc"].Dispose();
        conv1 = (Conv2d)c["conv1"];
        bn1 = (BatchNorm2d)c["bn1"];
        layer1 = (Module<Tensor, Tensor>)c["layer1"];
        layer2 = (Module<Tensor, Tensor>)c["layer2"];
        layer3 = (Module<Tensor, Tensor>)c["layer3"];
        layer4 = (Module<Tensor, Tensor>)c["layer4"];
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; } = [128, 256, 512];

    /// <summary>TorchVision ResNet's groups; the streams leaving layer2–layer4 are read by the neck.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers) =>
        Slim.PrunableGroups.ResNet(named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal), prefix,
            layer => layer >= 2 ? readers[layer - 2] : []);

    public override Tensor[] forward(Tensor input)
    {
        Tensor x = functional.max_pool2d(bn1.call(conv1.call(input)).relu_(), 3, 2, 1);
        Tensor c3 = layer2.call(layer1.call(x));
        Tensor c4 = layer3.call(c3);
        return [c3, c4, layer4.call(c4)];
    }

    public override string[] EmitOnnx(OnnxGraph graph, string input)
    {
        string x = graph.MaxPool(graph.Relu(graph.ConvBn(conv1, bn1, input)), 3, 2, 1);
        string c3 = OnnxExporter.ResNetStage(graph, layer2, OnnxExporter.ResNetStage(graph, layer1, x));
        string c4 = OnnxExporter.ResNetStage(graph, layer3, c3);
        return [c3, c4, OnnxExporter.ResNetStage(graph, layer4, c4)];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            layer1.Dispose();
            layer2.Dispose();
            layer3.Dispose();
            layer4.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>TorchVision's MobileNetV3 feature extractor (its <c>features</c> child, names kept), returning the outputs
/// of chosen blocks, shallow to deep. YOLOv3 takes the large network's last blocks at strides 8, 16 and 32 (40, 112,
/// 160 channels: PaddleX's feature maps 7, 13 and 16); PP-YOLO takes strides 16 and 32 of the large (112, 160) or the
/// small network (48, 96: PaddleX's maps 9 and 12). Block <c>features[i]</c> is PaddleX's feature map <c>i + 1</c>.
/// The final 1×1 expansion is not used.</summary>
public sealed class YoloMobileNetV3 : YoloBackbone
{
    private static readonly long[] LargeChannels = [16, 16, 24, 24, 40, 40, 40, 80, 80, 80, 80, 112, 112, 160, 160, 160];
    private static readonly long[] SmallChannels = [16, 16, 24, 24, 40, 40, 40, 48, 48, 96, 96, 96];

    private readonly int[] taps;
    private readonly Sequential features;

    /// <param name="small">mobilenet_v3_small instead of _large.</param>
    /// <param name="taps">indexes into <c>features</c> whose outputs are returned (default: YOLOv3's 6, 12, 15).</param>
    public YoloMobileNetV3(bool small = false, int[]? taps = null)
        : base(small ? "MobileNetV3_small" : "MobileNetV3")
    {
        this.taps = taps ?? [6, 12, 15];
        var channels = small ? SmallChannels : LargeChannels;
        Channels = this.taps.Select(t => channels[t]).ToArray();

        // Not disposed: torchvision's modules dispose their children, which live on here.
        var net = small ? torchvision.models.mobilenet_v3_small() : torchvision.models.mobilenet_v3_large();
        var children = net.named_children().ToDictionary(p => p.name, p => p.module);
        children["classifier"].Dispose();
        var all = children["features"].named_children().ToList();
        // Blocks after the last tap are dropped, so their parameters neither train nor load.
        foreach (var (_, unused) in all.Skip(this.taps[^1] + 1))
        {
            unused.Dispose();
        }

        features = Sequential(all.Take(this.taps[^1] + 1).Select(p => (p.name, (Module<Tensor, Tensor>)p.module)));
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; }

    /// <summary>TorchVision MobileNetV3's groups (inverted residuals with squeeze-excitation); tapped blocks are
    /// read by the neck too.</summary>
    internal override IReadOnlyList<ChannelGroup> PrunableGroups(string prefix, IReadOnlyList<IReadOnlyList<ChannelConsumer>> readers) =>
        Slim.PrunableGroups.InvertedResiduals(features.named_children().ToList(), $"{prefix}features.",
            i => Array.IndexOf(taps, i) is var tap and >= 0 ? readers[tap] : []);

    public override Tensor[] forward(Tensor input)
    {
        var outputs = new List<Tensor>();
        Tensor x = input;
        int i = 0;
        foreach (var block in features.children().Cast<Module<Tensor, Tensor>>())
        {
            x = block.call(x);
            if (taps.Contains(i++))
            {
                outputs.Add(x);
            }
        }

        return outputs.ToArray();
    }

    public override string[] EmitOnnx(OnnxGraph graph, string input)
    {
        var outputs = new List<string>();
        string x = input;
        int i = 0;
        foreach (var block in features.children())
        {
            x = OnnxExporter.Container(graph, block, x);
            if (taps.Contains(i++))
            {
                outputs.Add(x);
            }
        }

        return outputs.ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
        }

        base.Dispose(disposing);
    }
}
