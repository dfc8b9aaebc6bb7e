using PaddleX.Cloud.Vision.Detection.Models.Yolo;

namespace PaddleX.Cloud.Vision.Detection.Models;

/// <summary>Construction settings a detection architecture may read (each ignores what it does not use).</summary>
public sealed record DetectorOptions
{
    /// <summary>[width, height] of the training input.</summary>
    public int[] InputSize { get; init; } = [608, 608];

    /// <summary>Factor on the YOLO anchors (1 = PaddleX's, which are sized for 608-pixel inputs).</summary>
    public double AnchorScale { get; init; } = 1.0;

    /// <summary>YOLO head, loss and post-processing settings; null = YOLOv3's.</summary>
    public YoloOptions? Yolo { get; init; }

    /// <summary>Faster R-CNN: a feature pyramid on the backbone.</summary>
    public bool WithFpn { get; init; } = true;

    /// <summary>Faster / Mask R-CNN: RoIs sampled per training picture for the second stage (0 = PaddleX's 512). Fewer
    /// make a step cheaper (the mask branch runs on a quarter of them); detection is unaffected.</summary>
    public int RcnnRoisPerImage { get; init; }

    /// <summary>The checkpoint <c>layout</c> of a detector trained with <c>with_fpn</c> false, so prediction, evaluation
    /// and export rebuild the same network.</summary>
    public const string WithoutFpnLayout = "without_fpn";
}
