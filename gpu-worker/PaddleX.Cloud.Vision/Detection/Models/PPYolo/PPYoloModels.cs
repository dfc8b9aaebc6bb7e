using PaddleX.Cloud.Vision.Detection.Losses;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;

namespace PaddleX.Cloud.Vision.Detection.Models.PPYolo;

/// <summary>
/// PaddleX 2.1's PP-YOLO: a ResNet18_vd, ResNet50_vd_dcn or MobileNetV3 (large/small) backbone, the PP-YOLO pyramid
/// (CoordConv, SPP, DropBlock) and YOLOv3's head with PP-YOLO's changes: grid-sensitive decoding (scale_x_y 1.05),
/// an IoU-aware branch (factor 0.4), the IoU loss (2.5·(1 − IoU²)) and the IoU-aware loss, Matrix NMS when the
/// engine has it. ResNet50_vd_dcn predicts at strides 32/16/8 with the nine COCO anchors and two conv pairs per
/// level; the others at strides 32/16 with six anchors PaddleX sized for them and no conv pairs.
/// </summary>
public static class PPYoloV1
{
    public const string Name = "PPYOLO";

    public static IReadOnlyList<string> Backbones { get; } = ["ResNet50_vd_dcn", "ResNet18_vd", "MobileNetV3_large", "MobileNetV3_small"];

    public static IDetector Create(string backbone, int numClasses, DetectorOptions options)
    {
        var (net, anchors, masks) = backbone switch
        {
            "ResNet50_vd_dcn" => ((YoloBackbone)new ResNetVdBackbone(backbone, 50, [1, 2, 3], deformableLastStage: true), YoloOptions.DefaultAnchors, YoloOptions.DefaultMasks),
            "ResNet18_vd" => (new ResNetVdBackbone(backbone, 18, [2, 3], deformableLastStage: false), ResNet18Anchors, TwoLevelMasks),
            "MobileNetV3_large" => (new YoloMobileNetV3(small: false, taps: [12, 15]), MobileNetAnchors, TwoLevelMasks),
            "MobileNetV3_small" => (new YoloMobileNetV3(small: true, taps: [8, 11]), MobileNetAnchors, TwoLevelMasks),
            _ => throw new ArgumentException($"{Name} has no backbone '{backbone}'", nameof(backbone)),
        };
        var convBlocks = backbone == "ResNet50_vd_dcn" ? 2 : 0;
        var yolo = PPYoloOptions.Common(anchors, masks, iouAwareFactor: 0.4, ignoreThreshold: 0.7, matrixNms: true);
        return new YoloDetector(Name, backbone, numClasses, net, channels => PPYoloNecks.Fpn(channels, convBlocks), PPYoloOptions.Scaled(yolo, options));
    }

    /// <summary>PaddleX's anchors for PP-YOLO with MobileNetV3 (two levels).</summary>
    private static readonly IReadOnlyList<(float W, float H)> MobileNetAnchors = [(11, 18), (34, 47), (51, 126), (115, 71), (120, 195), (254, 235)];

    /// <summary>PaddleX's anchors for PP-YOLO with ResNet18_vd (two levels).</summary>
    private static readonly IReadOnlyList<(float W, float H)> ResNet18Anchors = [(10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319)];

    private static readonly IReadOnlyList<int[]> TwoLevelMasks = [[3, 4, 5], [0, 1, 2]];
}

/// <summary>
/// PaddleX 2.1's PP-YOLO Tiny: MobileNetV3 (strides 8/16/32), the Tiny pyramid (depthwise 5×5 blocks of 160, 128,
/// 96 channels, SPP, DropBlock), no IoU-aware branch, the IoU loss, ignore threshold 0.5, its own nine anchors and
/// multi-class NMS (score 0.005). PaddleX's backbone is MobileNetV3-large at half width; TorchVision builds only full
/// width, so this one is full width (40, 112, 160 channels instead of 24, 56, 80).
/// </summary>
public static class PPYoloTiny
{
    public const string Name = "PPYOLOTiny";

    public static IReadOnlyList<string> Backbones { get; } = ["MobileNetV3"];

    public static IDetector Create(string backbone, int numClasses, DetectorOptions options)
    {
        if (backbone != "MobileNetV3")
        {
            throw new ArgumentException($"{Name} has no backbone '{backbone}'", nameof(backbone));
        }

        var yolo = PPYoloOptions.Common(Anchors, YoloOptions.DefaultMasks, iouAwareFactor: null, ignoreThreshold: 0.5, matrixNms: false) with
        {
            Detect = new DetectOptions(ScoreThreshold: 0.005, NmsThreshold: 0.45, MaxDetections: 100, PreNmsTopK: 1000),
        };
        return new YoloDetector(Name, backbone, numClasses, new YoloMobileNetV3(), channels => PPYoloNecks.TinyFpn(channels, [160, 128, 96]), PPYoloOptions.Scaled(yolo, options));
    }

    private static readonly IReadOnlyList<(float W, float H)> Anchors = [(10, 15), (24, 36), (72, 42), (35, 87), (102, 96), (60, 170), (220, 125), (128, 222), (264, 266)];
}

/// <summary>
/// PaddleX 2.1's PP-YOLOv2: ResNet50_vd_dcn or ResNet101_vd_dcn (strides 8/16/32), the PAN neck with Mish, SPP and
/// DropBlock, the nine COCO anchors, an IoU-aware branch with factor 0.5, the IoU losses and Matrix NMS when the
/// engine has it.
/// </summary>
public static class PPYoloV2
{
    public const string Name = "PPYOLOv2";

    public static IReadOnlyList<string> Backbones { get; } = ["ResNet50_vd_dcn", "ResNet101_vd_dcn"];

    public static IDetector Create(string backbone, int numClasses, DetectorOptions options)
    {
        var depth = backbone switch
        {
            "ResNet50_vd_dcn" => 50,
            "ResNet101_vd_dcn" => 101,
            _ => throw new ArgumentException($"{Name} has no backbone '{backbone}'", nameof(backbone)),
        };
        var yolo = PPYoloOptions.Common(YoloOptions.DefaultAnchors, YoloOptions.DefaultMasks, iouAwareFactor: 0.5, ignoreThreshold: 0.7, matrixNms: true);
        return new YoloDetector(Name, backbone, numClasses, new ResNetVdBackbone(backbone, depth, [1, 2, 3], deformableLastStage: true),
            channels => new PPYoloPan(channels), PPYoloOptions.Scaled(yolo, options));
    }
}

/// <summary>The head, loss and post-processing settings the PP-YOLO family shares.</summary>
internal static class PPYoloOptions
{
    /// <summary>Grid-sensitive decoding (1.05), the IoU loss, and the IoU-aware branch and loss when a factor is given.</summary>
    public static YoloOptions Common(IReadOnlyList<(float W, float H)> anchors, IReadOnlyList<int[]> masks, double? iouAwareFactor, double ignoreThreshold, bool matrixNms)
    {
        var strides = new[] { 32, 16, 8 }.Take(masks.Count).ToArray();
        IYoloLossTerm[] losses = iouAwareFactor is null ? [new IouLoss()] : [new IouLoss(), new IouAwareLoss()];
        return new YoloOptions
        {
            Anchors = anchors,
            AnchorMasks = masks,
            Strides = strides,
            ScaleXY = 1.05,
            IouAware = iouAwareFactor is not null,
            IouAwareFactor = iouAwareFactor ?? 0,
            IgnoreThreshold = ignoreThreshold,
            ExtraLosses = losses,
            PostProcess = matrixNms ? MatrixNmsPostProcess.Instance : null,
            Detect = new DetectOptions(ScoreThreshold: 0.01, NmsThreshold: 0.45, MaxDetections: 100, PreNmsTopK: 1000),
        };
    }

    /// <summary>The anchors scaled (small training inputs) and the objectness prior set by the construction options.</summary>
    public static YoloOptions Scaled(YoloOptions yolo, DetectorOptions options) => options.ApplyTo(yolo);
}
