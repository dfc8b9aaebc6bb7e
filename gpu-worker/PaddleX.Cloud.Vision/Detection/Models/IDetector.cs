using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models;

/// <summary>
/// What every detection architecture (YOLO family, Faster R-CNN, Mask R-CNN) offers the shared detection
/// trainer, evaluator, predictor and exporter. Implemented by a TorchSharp module, so parameters, state dicts,
/// train/eval mode and device moves come from <c>nn.Module</c>.
/// </summary>
public interface IDetector
{
    /// <summary>PaddleX architecture name (<c>YOLOv3</c>, <c>PPYOLO</c>, <c>FasterRCNN</c>, …).</summary>
    string Architecture { get; }

    /// <summary>Backbone name as PaddleX spells it (<c>MobileNetV1</c>, <c>ResNet50_vd_dcn</c>, …).</summary>
    string Backbone { get; }

    int NumClasses { get; }

    /// <summary>Training losses for a batch: <paramref name="images"/> is [B, 3, H, W] normalised, one target per image
    /// in input pixels. The trainer back-propagates the sum; the names are logged (<c>loss_xy</c>, <c>loss_rpn_cls</c>, …).</summary>
    Dictionary<string, Tensor> Losses(Tensor images, IReadOnlyList<DetectionTarget> targets);

    /// <summary>Post-processed detections per image (boxes in input pixels, NMS applied, at most
    /// <see cref="DetectOptions.MaxDetections"/>, sorted by score).</summary>
    IReadOnlyList<Detections> Detect(Tensor images, DetectOptions options);

    /// <summary>The architecture's own post-processing settings (PaddleX's defaults for it).</summary>
    DetectOptions DefaultDetectOptions => new();

    /// <summary>True for instance segmentation (Mask R-CNN): <see cref="Losses"/> needs <see cref="DetectionTarget.Masks"/>
    /// and <see cref="Detect"/> fills <see cref="Detections.Masks"/>.</summary>
    bool ProducesMasks => false;
}

/// <summary>Ground truth of one image, in input pixels.</summary>
/// <param name="Boxes">[N, 4] float32 x1, y1, x2, y2.</param>
/// <param name="Labels">[N] int64 class index, 0-based (no background class).</param>
/// <param name="Weights">[N] float32 per-box weight (mixup mixes two images: each box keeps its image's share); null = 1.</param>
/// <param name="Masks">[N, H, W] uint8 instance masks at input size (instance segmentation only).</param>
public sealed record DetectionTarget(Tensor Boxes, Tensor Labels, Tensor? Weights = null, Tensor? Masks = null);

/// <summary>Detections of one image.</summary>
/// <param name="Boxes">[K, 4] float32 x1, y1, x2, y2 in input pixels.</param>
/// <param name="Scores">[K] float32.</param>
/// <param name="Labels">[K] int64 class index, 0-based.</param>
/// <param name="Masks">[K, H, W] float32 mask probabilities at input size (instance segmentation only).</param>
public sealed record Detections(Tensor Boxes, Tensor Scores, Tensor Labels, Tensor? Masks = null);

/// <summary>Post-processing settings (PaddleX defaults differ per architecture; the model supplies its own).</summary>
public sealed record DetectOptions(
    double ScoreThreshold = 0.01,
    double NmsThreshold = 0.45,
    int MaxDetections = 100,
    int PreNmsTopK = 1000);
