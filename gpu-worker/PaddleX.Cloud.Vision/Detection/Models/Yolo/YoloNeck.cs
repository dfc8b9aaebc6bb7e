using PaddleX.Cloud.Vision.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>What a YOLO head reads: one feature map per level, deep to shallow (strides 32, 16, 8). PP-YOLO's
/// neck (CoordConv, SPP, DropBlock) is another implementation of this.</summary>
public abstract class YoloNeck(string name) : nn.Module<Tensor[], Tensor[]>(name)
{
    /// <summary>Channels of the returned maps, deep to shallow.</summary>
    public abstract IReadOnlyList<long> Channels { get; }

    /// <param name="features">the backbone's ONNX values, shallow to deep.</param>
    public abstract string[] EmitOnnx(OnnxGraph graph, string[] features);
}

/// <summary>
/// YOLOv3's feature pyramid (PaddleDetection's <c>YOLOv3FPN</c>): from the deepest map up, a detection block of
/// five convolutions (1×1 c, 3×3 2c, 1×1 c, 3×3 2c, 1×1 c; c = 512, 256, 128) gives the route, a 3×3 to 2c gives
/// the level's output; the route is reduced (1×1 to c/2), upsampled ×2 (nearest) and concatenated with the next
/// shallower backbone map. Leaky ReLU throughout.
/// </summary>
public sealed class YoloV3Fpn : YoloNeck
{
    private readonly ModuleList<Sequential> blocks = new();
    private readonly ModuleList<ConvNormAct> tips = new();
    private readonly ModuleList<ConvNormAct> transitions = new();

    /// <param name="inChannels">backbone channels, shallow to deep.</param>
    public YoloV3Fpn(IReadOnlyList<long> inChannels)
        : base(nameof(YoloV3Fpn))
    {
        int levels = inChannels.Count;
        var outChannels = new List<long>();
        for (int i = 0; i < levels; i++)
        {
            long channel = 512 >> i;
            long input = inChannels[levels - 1 - i] + (i > 0 ? channel : 0);
            blocks.Add(Sequential(
                new ConvNormAct(input, channel, 1),
                new ConvNormAct(channel, channel * 2, 3),
                new ConvNormAct(channel * 2, channel, 1),
                new ConvNormAct(channel, channel * 2, 3),
                new ConvNormAct(channel * 2, channel, 1)));
            tips.Add(new ConvNormAct(channel, channel * 2, 3));
            outChannels.Add(channel * 2);
            if (i < levels - 1)
            {
                transitions.Add(new ConvNormAct(channel, channel / 2, 1));
            }
        }

        Channels = outChannels;
        RegisterComponents();
    }

    public override IReadOnlyList<long> Channels { get; }

    public override Tensor[] forward(Tensor[] features)
    {
        var outputs = new List<Tensor>();
        Tensor? route = null;
        for (int i = 0; i < blocks.Count; i++)
        {
            Tensor x = features[features.Length - 1 - i];
            if (route is not null)
            {
                x = cat([route, x], 1);
            }

            Tensor r = blocks[i].call(x);
            outputs.Add(tips[i].call(r));
            if (i < transitions.Count)
            {
                route = functional.interpolate(transitions[i].call(r), scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
            }
        }

        return outputs.ToArray();
    }

    public override string[] EmitOnnx(OnnxGraph graph, string[] features)
    {
        var outputs = new List<string>();
        string? route = null;
        for (int i = 0; i < blocks.Count; i++)
        {
            string x = features[features.Length - 1 - i];
            if (route is not null)
            {
                x = graph.Concat([route, x]);
            }

            string r = graph.Module(blocks[i], x);
            outputs.Add(tips[i].EmitOnnx(graph, r));
            if (i < transitions.Count)
            {
                route = graph.Node("Resize", [transitions[i].EmitOnnx(graph, r), string.Empty, graph.Floats(1, 1, 2, 2)],
                    OnnxGraph.Attr("mode", "nearest"), OnnxGraph.Attr("nearest_mode", "floor"),
                    OnnxGraph.Attr("coordinate_transformation_mode", "asymmetric"));
            }
        }

        return outputs.ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            blocks.Dispose();
            tips.Dispose();
            transitions.Dispose();
        }

        base.Dispose(disposing);
    }
}
