using PaddleX.Cloud.Vision.Detection.Export;
using PaddleX.Cloud.Vision.Detection.Losses;
using PaddleX.Cloud.Vision.Export;
using PaddleX.Cloud.Vision.Slim;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>
/// A YOLO detector: backbone (maps at strides 8/16/32) → neck (deep to shallow) → <see cref="YoloHead"/>, trained
/// with <see cref="YoloLoss"/> and post-processed by the options' NMS. YOLOv3 is <see cref="YoloV3"/>; PP-YOLO
/// models are other backbone/neck/option combinations of the same class.
/// </summary>
public sealed class YoloDetector : nn.Module<Tensor, Tensor[]>, IDetector, IDetectionOnnxExportable, IPrunable
{
    private readonly YoloBackbone backbone;
    private readonly YoloNeck neck;
    private readonly YoloHead head;

    public YoloDetector(string architecture, string backboneName, int numClasses, YoloBackbone backbone, Func<IReadOnlyList<long>, YoloNeck> neck, YoloOptions options)
        : base(architecture)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (options.AnchorMasks.Count != options.Strides.Count)
        {
            throw new ArgumentException($"{options.AnchorMasks.Count} anchor masks for {options.Strides.Count} output levels");
        }

        Architecture = architecture;
        Backbone = backboneName;
        NumClasses = numClasses;
        this.backbone = backbone;
        this.neck = neck(backbone.Channels);
        head = new YoloHead(this.neck.Channels, numClasses, options);
        Loss = new YoloLoss(head);
        RegisterComponents();
    }

    public string Architecture { get; }

    public string Backbone { get; }

    public int NumClasses { get; }

    public YoloOptions Options => head.Options;

    public DetectOptions DefaultDetectOptions => Options.Detect;

    internal YoloHead Head => head;

    internal YoloLoss Loss { get; }

    /// <summary>The raw head outputs, deep to shallow, each [B, A·(5+C), H/stride, W/stride].</summary>
    public override Tensor[] forward(Tensor images) => head.call(neck.call(backbone.call(images)));

    public Dictionary<string, Tensor> Losses(Tensor images, IReadOnlyList<DetectionTarget> targets)
    {
        Tensor[] raw = forward(images);
        return Loss.Compute(raw, targets, images.shape[2], images.shape[3]);
    }

    public IReadOnlyList<Detections> Detect(Tensor images, DetectOptions options)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (boxes, scores) = head.Decode(forward(images), images.shape[2], images.shape[3]);
        IYoloPostProcess post = Options.PostProcess ?? MultiClassNms.Instance;
        var result = new List<Detections>();
        for (int i = 0; i < boxes.shape[0]; i++)
        {
            Detections d = post.Apply(boxes[i], scores[i], options);
            result.Add(new Detections(d.Boxes.MoveToOuterDisposeScope(), d.Scores.MoveToOuterDisposeScope(), d.Labels.MoveToOuterDisposeScope()));
        }

        return result;
    }

    public (string Boxes, string Scores) EmitCandidates(OnnxGraph graph, string input, int height, int width)
    {
        if (Options.Strides.Any(s => height % s != 0 || width % s != 0))
        {
            throw new NotSupportedException($"ONNX export: the input {width}×{height} must be a multiple of {Options.Strides.Max()}");
        }

        string[] raw = head.EmitOnnx(graph, neck.EmitOnnx(graph, backbone.EmitOnnx(graph, input)));
        return head.EmitDecode(graph, raw, height, width);
    }

    public IOnnxDetectionPostProcess? OnnxPostProcess => Options.PostProcess as IOnnxDetectionPostProcess;

    /// <summary>The backbone's and the neck's groups, coupled where the neck reads the backbone's maps; the head's
    /// 1×1 outputs (anchors × (5 + classes)) only read.</summary>
    /// <exception cref="NotSupportedException">the backbone or neck declares none (the message names the model).</exception>
    public IReadOnlyList<ChannelGroup> PrunableGroups()
    {
        try
        {
            return
            [
                .. backbone.PrunableGroups("backbone.", neck.InputReaders("neck.")),
                .. neck.PrunableGroups("neck.", Enumerable.Range(0, neck.Channels.Count).Select(i => (IReadOnlyList<ChannelConsumer>)[new ChannelConsumer($"head.outputs.{i}")]).ToArray()),
            ];
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{Architecture}-{Backbone} cannot be pruned yet: {e.Message}", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            backbone.Dispose();
            neck.Dispose();
            head.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>PaddleX's YOLOv3: one of four backbones, the YOLOv3 feature pyramid and head.</summary>
public static class YoloV3
{
    public const string Name = "YOLOv3";

    /// <summary>The backbones PaddleX 2.1 offers for YOLOv3 (its <c>_ssld</c> names build the same networks).</summary>
    public static IReadOnlyList<string> Backbones { get; } = ["MobileNetV1", "MobileNetV3", "DarkNet53", "ResNet34"];

    public static IDetector Create(string backbone, int numClasses, DetectorOptions options)
    {
        YoloBackbone net = backbone switch
        {
            "MobileNetV1" => new MobileNetV1(),
            "MobileNetV3" => new YoloMobileNetV3(),
            "DarkNet53" => new DarkNet53(),
            "ResNet34" => new YoloResNet34(),
            _ => throw new ArgumentException($"YOLOv3 has no backbone '{backbone}'", nameof(backbone)),
        };
        YoloOptions yolo = options.ApplyTo(options.Yolo ?? new YoloOptions());
        return new YoloDetector(Name, backbone, numClasses, net, channels => new YoloV3Fpn(channels), yolo);
    }
}
