using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// Mask R-CNN (PaddleX's <c>MaskRCNN</c>): Faster R-CNN with FPN plus a mask branch (<see cref="MaskRoIHeads"/>).
/// Module names follow TorchVision's <c>maskrcnn_resnet50_fpn</c> (<c>roi_heads.mask_head</c>,
/// <c>roi_heads.mask_predictor</c> beside Faster R-CNN's), so its state dicts load here. Training adds
/// <c>loss_mask</c> to the four R-CNN losses and needs <see cref="DetectionTarget.Masks"/>; detection fills
/// <see cref="Detections.Masks"/> with the instance probabilities at input size. The network always has the feature
/// pyramid: PaddleX's variant without it (a mask head on the last ResNet stage) is not built.
/// </summary>
public sealed class MaskRCNN : FasterRCNN, IDetector
{
    /// <summary>The backbones PaddleX 2.1's MaskRCNN accepts (ResNet50_vd_ssld builds ResNet50_vd).</summary>
    public static IReadOnlyList<string> Backbones { get; } = ["ResNet50", "ResNet50_vd", "ResNet101", "ResNet101_vd"];

    public MaskRCNN(string backboneName, int numClasses, RcnnSettings? settings = null)
        : this(backboneName, numClasses, settings, anyBody: false)
    {
    }

    private MaskRCNN(string backboneName, int numClasses, RcnnSettings? settings, bool anyBody)
        : base(nameof(MaskRCNN), anyBody ? backboneName : Checked(backboneName), numClasses, withFpn: true, settings, (head, features, classes, s) => new MaskRoIHeads(head, features, classes, s))
    {
    }

    /// <summary>The same network on any Faster R-CNN body of <see cref="RcnnBackbones.Names"/> (ResNet34 costs a
    /// fraction of ResNet50): for tests that must train the whole code path within a CI budget. Not in PaddleX's
    /// catalog, so neither the API nor the trainer offers it.</summary>
    internal static MaskRCNN OnAnyBody(string backboneName, int numClasses, RcnnSettings? settings = null) =>
        new(backboneName, numClasses, settings, anyBody: true);

    /// <summary>Side of the masks the branch predicts before pasting (28).</summary>
    public static int MaskSize => 2 * MaskRoIHeads.PooledSize;

    public bool ProducesMasks => true;

    private static string Checked(string backboneName) =>
        Backbones.Contains(backboneName) || backboneName == "ResNet50_vd_ssld"
            ? backboneName
            : throw new ArgumentException($"Unknown Mask R-CNN backbone '{backboneName}'. Valid backbones: {string.Join(", ", Backbones)} (also ResNet50_vd_ssld).", nameof(backboneName));
}
