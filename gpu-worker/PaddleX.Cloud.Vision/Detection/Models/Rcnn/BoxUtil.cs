using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>Box filtering shared by the proposal and detection post-processing.</summary>
internal static class BoxUtil
{
    /// <summary>Indices of boxes whose sides are both at least <paramref name="minSize"/>.</summary>
    public static Tensor KeepLarge(Tensor boxes, double minSize)
    {
        using var scope = NewDisposeScope();
        var w = boxes[.., 2] - boxes[.., 0];
        var h = boxes[.., 3] - boxes[.., 1];
        return ((w >= minSize) & (h >= minSize)).nonzero().squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Indices picked by the sampler's masks, positives first.</summary>
    public static (Tensor Positive, Tensor Negative) Indices((Tensor Positive, Tensor Negative) masks) =>
        (masks.Positive.nonzero().squeeze(1), masks.Negative.nonzero().squeeze(1));
}
