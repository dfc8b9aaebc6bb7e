using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>
/// The R-CNN box parameterisation (centre offsets scaled by the reference size, log size ratios), with per-stage
/// weights: (1, 1, 1, 1) for the RPN, (10, 10, 5, 5) for the box head. Decoded sizes are clamped at
/// log(1000/16) so an untrained head cannot overflow <c>exp</c>.
/// </summary>
internal sealed class BoxCoding(double wx, double wy, double ww, double wh)
{
    private static readonly double ScaleClamp = Math.Log(1000.0 / 16);

    /// <summary>Regression targets of <paramref name="gt"/> relative to <paramref name="reference"/> (both [N, 4] x1y1x2y2).</summary>
    public Tensor Encode(Tensor gt, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var (rx, ry, rw, rh) = CentreSize(reference);
        var (gx, gy, gw, gh) = CentreSize(gt);
        return stack([(gx - rx) / rw * wx, (gy - ry) / rh * wy, (gw / rw).log() * ww, (gh / rh).log() * wh], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Boxes from <paramref name="deltas"/> [N, 4k] relative to <paramref name="reference"/> [N, 4] → [N, k, 4].</summary>
    public Tensor Decode(Tensor deltas, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var n = reference.shape[0];
        var d = deltas.reshape(n, -1, 4);
        var (rx, ry, rw, rh) = CentreSize(reference.to(deltas.dtype));
        var dx = d[.., .., 0] / wx;
        var dy = d[.., .., 1] / wy;
        var dw = (d[.., .., 2] / ww).clamp(max: ScaleClamp);
        var dh = (d[.., .., 3] / wh).clamp(max: ScaleClamp);
        var cx = dx * rw.unsqueeze(1) + rx.unsqueeze(1);
        var cy = dy * rh.unsqueeze(1) + ry.unsqueeze(1);
        var halfW = dw.exp() * rw.unsqueeze(1) * 0.5;
        var halfH = dh.exp() * rh.unsqueeze(1) * 0.5;
        return stack([cx - halfW, cy - halfH, cx + halfW, cy + halfH], 2).MoveToOuterDisposeScope();
    }

    private static (Tensor X, Tensor Y, Tensor W, Tensor H) CentreSize(Tensor boxes)
    {
        var w = boxes[.., 2] - boxes[.., 0];
        var h = boxes[.., 3] - boxes[.., 1];
        return (boxes[.., 0] + 0.5 * w, boxes[.., 1] + 0.5 * h, w, h);
    }
}

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
}
