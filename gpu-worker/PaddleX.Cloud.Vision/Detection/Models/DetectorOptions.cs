using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Detection.Models;

/// <summary>Construction settings a detection architecture may read (each ignores what it does not use).</summary>
public sealed record DetectorOptions
{
    /// <summary>[width, height] of the training input.</summary>
    public int[] InputSize { get; init; } = [608, 608];

    /// <summary>Factor on the YOLO anchors (1 = PaddleX's, which are sized for 608-pixel inputs).</summary>
    public double AnchorScale { get; init; } = 1.0;

    /// <summary>YOLO family: the initial objectness probability (<see cref="YoloOptions.ObjectnessPrior"/>); 0 = the
    /// convolution's own initialisation, as PaddleX.</summary>
    public double ObjectnessPrior { get; init; }

    /// <summary>YOLO head, loss and post-processing settings; null = YOLOv3's.</summary>
    public YoloOptions? Yolo { get; init; }

    /// <summary>A YOLO model's options with <see cref="AnchorScale"/> and <see cref="ObjectnessPrior"/> applied.</summary>
    public YoloOptions ApplyTo(YoloOptions yolo)
    {
        yolo = AnchorScale != 1 ? yolo.ScaleAnchors(AnchorScale) : yolo;
        return ObjectnessPrior > 0 ? yolo with { ObjectnessPrior = ObjectnessPrior } : yolo;
    }

    /// <summary>Faster R-CNN: a feature pyramid on the backbone.</summary>
    public bool WithFpn { get; init; } = true;

    /// <summary>Faster / Mask R-CNN: RoIs sampled per training picture for the second stage (0 = PaddleX's 512). Fewer
    /// make a step cheaper (the mask branch runs on a quarter of them); detection is unaffected.</summary>
    public int RcnnRoisPerImage { get; init; }

    /// <summary>Faster / Mask R-CNN with FPN: channels of the pyramid, the RPN head and the RoI features (0 = 256).
    /// Together with <see cref="RcnnMaskChannels"/> this gives a narrower network of the same code path.</summary>
    public int RcnnFpnChannels { get; init; }

    /// <summary>Mask R-CNN: channels of the mask branch's convolutions (0 = 256).</summary>
    public int RcnnMaskChannels { get; init; }

    /// <summary>The options a run with <paramref name="p"/> builds its detector with; training, prediction, evaluation
    /// and export all go through here, so they build the same network.</summary>
    public static DetectorOptions For(TrainParams p)
    {
        if (!double.IsFinite(p.AnchorScale) || p.AnchorScale <= 0)
        {
            throw new ArgumentException($"anchor_scale must be a positive number, got {p.AnchorScale}");
        }

        if (!double.IsFinite(p.ObjectnessPrior) || p.ObjectnessPrior is < 0 or >= 1)
        {
            throw new ArgumentException($"objectness_prior must be in [0, 1), got {p.ObjectnessPrior}");
        }

        if (p.RcnnRoisPerImage < 0 || p.RcnnFpnChannels < 0 || p.RcnnMaskChannels < 0)
        {
            throw new ArgumentException($"rcnn_rois_per_image, rcnn_fpn_channels and rcnn_mask_channels must be 0 (the default) or positive, got {p.RcnnRoisPerImage}, {p.RcnnFpnChannels}, {p.RcnnMaskChannels}");
        }

        return new DetectorOptions
        {
            InputSize = [p.Width, p.Height],
            WithFpn = p.WithFpn,
            AnchorScale = p.AnchorScale,
            ObjectnessPrior = p.ObjectnessPrior,
            RcnnRoisPerImage = p.RcnnRoisPerImage,
            RcnnFpnChannels = p.RcnnFpnChannels,
            RcnnMaskChannels = p.RcnnMaskChannels,
        };
    }

    /// <summary>The checkpoint <c>layout</c> of a detector trained with <c>with_fpn</c> false, so prediction, evaluation
    /// and export rebuild the same network.</summary>
    public const string WithoutFpnLayout = "without_fpn";
}
