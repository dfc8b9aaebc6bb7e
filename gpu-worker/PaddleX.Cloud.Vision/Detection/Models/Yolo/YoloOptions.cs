using PaddleX.Cloud.Vision.Detection.Losses;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>
/// Settings of a YOLO head, its loss and post-processing. PaddleX's YOLOv3 defaults; PP-YOLO changes them here
/// instead of copying the head: <see cref="ScaleXY"/> (grid-sensitive decoding), <see cref="IouAware"/> (an IoU
/// channel per anchor), <see cref="AssignIouThreshold"/> (more anchors per box), <see cref="ExtraLosses"/> (IoU and
/// IoU-aware loss terms) and <see cref="PostProcess"/> (Matrix NMS).
/// </summary>
public sealed record YoloOptions
{
    /// <summary>PaddleX's nine COCO anchors (width, height in input pixels).</summary>
    public static readonly IReadOnlyList<(float W, float H)> DefaultAnchors =
        [(10, 13), (16, 30), (33, 23), (30, 61), (62, 45), (59, 119), (116, 90), (156, 198), (373, 326)];

    /// <summary>Anchor indexes per output level, deep (stride 32) to shallow (stride 8).</summary>
    public static readonly IReadOnlyList<int[]> DefaultMasks = [[6, 7, 8], [3, 4, 5], [0, 1, 2]];

    public IReadOnlyList<(float W, float H)> Anchors { get; init; } = DefaultAnchors;

    public IReadOnlyList<int[]> AnchorMasks { get; init; } = DefaultMasks;

    /// <summary>Downsampling of each output level, deep to shallow.</summary>
    public IReadOnlyList<int> Strides { get; init; } = [32, 16, 8];

    /// <summary>A prediction whose box overlaps a ground-truth box more than this adds no objectness loss.</summary>
    public double IgnoreThreshold { get; init; } = 0.7;

    /// <summary>Initial objectness probability of every prediction (its bias, e.g. 0.01); 0 leaves the convolution's
    /// own initialisation (a prior near 0.5), as PaddleX.</summary>
    public double ObjectnessPrior { get; init; }

    /// <summary>Class targets 1 − δ / δ with δ = min(1/C, 1/40) instead of 1 / 0.</summary>
    public bool LabelSmooth { get; init; }

    /// <summary>Centre decoding <c>s·sigmoid(t) − (s − 1)/2</c> (PP-YOLO's grid sensitivity); 1 = plain YOLOv3 (the
    /// centre loss is then a BCE, else an L1).</summary>
    public double ScaleXY { get; init; } = 1.0;

    /// <summary>The head predicts one extra IoU logit per anchor (its first <c>A</c> channels); the score becomes
    /// <c>obj^(1−f)·sigmoid(iou)^f</c> with f = <see cref="IouAwareFactor"/>.</summary>
    public bool IouAware { get; init; }

    public double IouAwareFactor { get; init; } = 0.4;

    /// <summary>Besides the best anchor, every anchor of the level whose shape IoU with the box exceeds this is
    /// assigned too (PP-YOLO uses 0.25); values ≥ 1 keep YOLOv3's single best anchor.</summary>
    public double AssignIouThreshold { get; init; } = 1.0;

    /// <summary>Loss terms added to YOLOv3's four (PP-YOLO's IoU and IoU-aware losses).</summary>
    public IReadOnlyList<IYoloLossTerm> ExtraLosses { get; init; } = [];

    /// <summary>Post-processing of decoded boxes and class scores; null = multi-class NMS (PaddleX's YOLOv3).</summary>
    public IYoloPostProcess? PostProcess { get; init; }

    /// <summary>Decoded scores below this are dropped before NMS (PaddleX: <c>nms_score_threshold</c> 0.01), at most
    /// <c>nms_topk</c> 1000 per class enter NMS at IoU 0.45, and <c>nms_keep_topk</c> 100 are kept per image.</summary>
    public Models.DetectOptions Detect { get; init; } = new(ScoreThreshold: 0.01, NmsThreshold: 0.45, MaxDetections: 100, PreNmsTopK: 1000);

    /// <summary>The anchors multiplied by <paramref name="factor"/> (e.g. input size / 608 for small inputs).</summary>
    public YoloOptions ScaleAnchors(double factor) =>
        this with { Anchors = Anchors.Select(a => ((float)(a.W * factor), (float)(a.H * factor))).ToArray() };
}
