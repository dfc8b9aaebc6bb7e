using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// The R-CNN box parameterisation (torchvision <c>det_utils.BoxCoder</c>): a box relative to a reference box is
/// (wx·Δcx/w, wy·Δcy/h, ww·log(w'/w), wh·log(h'/h)); decoding clamps the log-size deltas at
/// <paramref name="bboxXformClip"/> so exp cannot overflow.
/// </summary>
/// <param name="weights">(wx, wy, ww, wh): (1, 1, 1, 1) for an RPN, (10, 10, 5, 5) for Faster R-CNN box heads.</param>
/// <param name="bboxXformClip">Largest log-size delta decoded (log(1000/16): a box grows at most 62.5×).</param>
public sealed class BoxCoder(double[] weights, double bboxXformClip = BoxCoder.DefaultXformClip)
{
    /// <summary>log(1000/16).</summary>
    public const double DefaultXformClip = 4.135166556742356;

    private readonly double[] w = weights.Length == 4 ? weights : throw new ArgumentException($"need 4 weights (wx, wy, ww, wh), got {weights.Length}", nameof(weights));

    /// <summary>Regression targets [N, 4] of <paramref name="reference"/> boxes (the ground truth matched to each
    /// proposal) relative to <paramref name="proposals"/>; both [N, 4].</summary>
    public Tensor Encode(Tensor reference, Tensor proposals)
    {
        using var scope = NewDisposeScope();
        var (px, py, pw, ph) = CentreSize(proposals);
        var (gx, gy, gw, gh) = CentreSize(reference);
        var dx = (gx - px).mul(w[0]).div(pw);
        var dy = (gy - py).mul(w[1]).div(ph);
        var dw = (gw / pw).log() * w[2];
        var dh = (gh / ph).log() * w[3];
        return stack([dx, dy, dw, dh], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Boxes [N, K·4] from deltas <paramref name="relCodes"/> [N, K·4] (K boxes per reference, e.g. one per
    /// class) applied to the reference <paramref name="boxes"/> [N, 4].</summary>
    public Tensor Decode(Tensor relCodes, Tensor boxes)
    {
        if (relCodes.dim() != 2 || relCodes.shape[1] % 4 != 0 || relCodes.shape[0] != boxes.shape[0])
        {
            throw new ArgumentException($"relCodes must be [{boxes.shape[0]}, K·4], got [{string.Join(", ", relCodes.shape)}]", nameof(relCodes));
        }

        using var scope = NewDisposeScope();
        var (cx, cy, width, height) = CentreSize(boxes.to(relCodes.dtype));
        var codes = relCodes.view(relCodes.shape[0], relCodes.shape[1] / 4, 4).unbind(2); // explicit: no boxes is no error
        var dx = codes[0] / w[0];
        var dy = codes[1] / w[1];
        using Scalar clip = bboxXformClip;
        var dw = (codes[2] / w[2]).clamp_max(clip);
        var dh = (codes[3] / w[3]).clamp_max(clip);
        var ctrX = dx * width.unsqueeze(1) + cx.unsqueeze(1);
        var ctrY = dy * height.unsqueeze(1) + cy.unsqueeze(1);
        var halfW = dw.exp() * width.unsqueeze(1) * 0.5;
        var halfH = dh.exp() * height.unsqueeze(1) * 0.5;
        return stack([ctrX - halfW, ctrY - halfH, ctrX + halfW, ctrY + halfH], 2).flatten(1).MoveToOuterDisposeScope();
    }

    private static (Tensor Cx, Tensor Cy, Tensor W, Tensor H) CentreSize(Tensor boxes)
    {
        BoxOps.RequireBoxes(boxes, nameof(boxes));
        var c = boxes.unbind(1);
        var width = c[2] - c[0];
        var height = c[3] - c[1];
        return (c[0] + 0.5 * width, c[1] + 0.5 * height, width, height);
    }
}
