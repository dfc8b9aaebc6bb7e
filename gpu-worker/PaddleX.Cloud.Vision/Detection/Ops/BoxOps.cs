using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Box arithmetic on float tensors whose last dimension is x1, y1, x2, y2 (torchvision's conventions: widths are
/// x2 − x1 with no "+1", no clamping of inverted boxes). The paired IoU variants broadcast over leading dimensions,
/// so an IoU loss can take [B, A, H, W, 4] predictions against targets of the same shape.
/// </summary>
public static class BoxOps
{
    /// <summary>Default guard of the distance terms (torchvision's <c>eps</c>).</summary>
    public const double Eps = 1e-7;

    private static readonly Scalar FourOverPiSquared = 4 / (Math.PI * Math.PI);

    /// <summary>Pairwise IoU: [N, 4] × [M, 4] → [N, M] (torchvision <c>box_iou</c>).</summary>
    public static Tensor Iou(Tensor a, Tensor b)
    {
        RequireBoxes(a, nameof(a));
        RequireBoxes(b, nameof(b));
        using var scope = NewDisposeScope();
        var (inter, union) = InterUnion(a.unsqueeze(1), b.unsqueeze(0));
        return inter.div(union).MoveToOuterDisposeScope();
    }

    /// <summary>Area of each box: [..., 4] → [...].</summary>
    public static Tensor Area(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var (x1, y1, x2, y2) = Corners(boxes);
        return (x2 - x1).mul_(y2 - y1).MoveToOuterDisposeScope();
    }

    /// <summary>IoU of paired boxes: [..., 4] with [..., 4] (broadcast) → [...].</summary>
    public static Tensor PairedIou(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (inter, union) = InterUnion(a, b);
        return inter.div(union).MoveToOuterDisposeScope();
    }

    /// <summary>Generalized IoU of paired boxes (torchvision <c>generalized_box_iou</c> on the pairs): IoU minus the
    /// share of the enclosing box not covered by the union.</summary>
    public static Tensor GeneralizedIou(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (inter, union) = InterUnion(a, b);
        var (ew, eh) = EnclosingSize(a, b);
        var enclosing = ew * eh;
        return (inter / union - (enclosing - union) / enclosing).MoveToOuterDisposeScope();
    }

    /// <summary>Distance IoU of paired boxes (torchvision <c>distance_box_iou</c> on the pairs): IoU minus the squared
    /// centre distance over the squared diagonal of the enclosing box.</summary>
    public static Tensor DistanceIou(Tensor a, Tensor b, double eps = Eps)
    {
        using var scope = NewDisposeScope();
        return DistanceIouAndIou(a, b, eps).DIou.MoveToOuterDisposeScope();
    }

    /// <summary>Complete IoU of paired boxes (torchvision <c>complete_box_iou</c> on the pairs): distance IoU minus the
    /// aspect-ratio consistency term, whose trade-off weight is not differentiated (as in the CIoU paper).</summary>
    public static Tensor CompleteIou(Tensor a, Tensor b, double eps = Eps)
    {
        using var scope = NewDisposeScope();
        var (diou, iou) = DistanceIouAndIou(a, b, eps);
        var (ax1, ay1, ax2, ay2) = Corners(a);
        var (bx1, by1, bx2, by2) = Corners(b);
        var v = (atan((ax2 - ax1) / (ay2 - ay1)) - atan((bx2 - bx1) / (by2 - by1))).square().mul_(FourOverPiSquared);
        Tensor alpha;
        using (no_grad())
        {
            alpha = v / (1 - iou + v + eps);
        }

        return (diou - alpha * v).MoveToOuterDisposeScope();
    }

    /// <summary>Clamps x to [0, <paramref name="width"/>] and y to [0, <paramref name="height"/>]
    /// (torchvision <c>clip_boxes_to_image</c>).</summary>
    public static Tensor Clip(Tensor boxes, long height, long width)
    {
        using var scope = NewDisposeScope();
        var (x1, y1, x2, y2) = Corners(boxes);
        using Scalar w = width, h = height;
        return stack([x1.clamp(HeldScalars.Zero, w), y1.clamp(HeldScalars.Zero, h), x2.clamp(HeldScalars.Zero, w), y2.clamp(HeldScalars.Zero, h)], -1)
            .MoveToOuterDisposeScope();
    }

    /// <summary>x, y, w, h (top-left corner and size, COCO's layout) → x1, y1, x2, y2.</summary>
    public static Tensor XywhToXyxy(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var (x, y, w, h) = Corners(boxes);
        return stack([x, y, x + w, y + h], -1).MoveToOuterDisposeScope();
    }

    /// <summary>x1, y1, x2, y2 → centre x, centre y, w, h.</summary>
    public static Tensor XyxyToCxcywh(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var (x1, y1, x2, y2) = Corners(boxes);
        return stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1).MoveToOuterDisposeScope();
    }

    /// <summary>Centre x, centre y, w, h → x1, y1, x2, y2.</summary>
    public static Tensor CxcywhToXyxy(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var (cx, cy, w, h) = Corners(boxes);
        var hw = 0.5 * w;
        var hh = 0.5 * h;
        return stack([cx - hw, cy - hh, cx + hw, cy + hh], -1).MoveToOuterDisposeScope();
    }

    internal static void RequireBoxes(Tensor boxes, string name)
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
        {
            throw new ArgumentException($"{name} must be [N, 4] boxes, got [{string.Join(", ", boxes.shape)}]", name);
        }
    }

    /// <summary>The four coordinates along the last dimension (views, no copy).</summary>
    private static (Tensor, Tensor, Tensor, Tensor) Corners(Tensor boxes)
    {
        if (boxes.dim() == 0 || boxes.shape[^1] != 4)
        {
            throw new ArgumentException($"boxes must end in a dimension of 4, got [{string.Join(", ", boxes.shape)}]", nameof(boxes));
        }

        var c = boxes.unbind(-1);
        return (c[0], c[1], c[2], c[3]);
    }

    private static (Tensor Inter, Tensor Union) InterUnion(Tensor a, Tensor b)
    {
        var (ax1, ay1, ax2, ay2) = Corners(a);
        var (bx1, by1, bx2, by2) = Corners(b);
        var iw = (minimum(ax2, bx2) - maximum(ax1, bx1)).clamp_min_(HeldScalars.Zero);
        var ih = (minimum(ay2, by2) - maximum(ay1, by1)).clamp_min_(HeldScalars.Zero);
        var inter = iw * ih;
        return (inter, (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
    }

    private static (Tensor W, Tensor H) EnclosingSize(Tensor a, Tensor b)
    {
        var (ax1, ay1, ax2, ay2) = Corners(a);
        var (bx1, by1, bx2, by2) = Corners(b);
        return ((maximum(ax2, bx2) - minimum(ax1, bx1)).clamp_min_(HeldScalars.Zero), (maximum(ay2, by2) - minimum(ay1, by1)).clamp_min_(HeldScalars.Zero));
    }

    private static (Tensor DIou, Tensor Iou) DistanceIouAndIou(Tensor a, Tensor b, double eps)
    {
        var (inter, union) = InterUnion(a, b);
        var iou = inter / union;
        var (ew, eh) = EnclosingSize(a, b);
        var diagonal = ew.square() + eh.square() + eps;
        var (ax1, ay1, ax2, ay2) = Corners(a);
        var (bx1, by1, bx2, by2) = Corners(b);
        var dx = (ax1 + ax2) / 2 - (bx1 + bx2) / 2;
        var dy = (ay1 + ay2) / 2 - (by1 + by2) / 2;
        return (iou - (dx.square() + dy.square()) / diagonal, iou);
    }
}
