using PaddleX.Cloud.Vision.Detection.Models;
using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Detection.Ops;
using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PaddleX.Cloud.Vision.Detection.Losses;

/// <summary>An extra YOLO loss term (PP-YOLO's IoU loss, IoU-aware loss), computed per level and summed over levels.</summary>
public interface IYoloLossTerm
{
    /// <summary>The logged name (<c>loss_iou</c>, <c>loss_iou_aware</c>).</summary>
    string Name { get; }

    /// <summary>The term of one level, summed over anchors and cells and averaged over the batch.</summary>
    Tensor Compute(YoloLossContext context);
}

/// <param name="Pred">the level's raw predictions.</param>
/// <param name="PredBoxes">[B, A, H, W, 4] decoded predictions, x1, y1, x2, y2 in input pixels.</param>
/// <param name="TargetBoxes">[B, A, H, W, 4] the assigned ground truth in input pixels (zeros where none).</param>
/// <param name="PositiveWeight">[B, A, H, W] box-size scale × mixup weight on assigned cells, 0 elsewhere.</param>
/// <param name="Objectness">[B, A, H, W] mixup weight on assigned cells, 0 elsewhere.</param>
public sealed record YoloLossContext(YoloLevel Pred, Tensor PredBoxes, Tensor TargetBoxes, Tensor PositiveWeight, Tensor Objectness);

/// <summary>
/// The YOLOv3 loss as PaddleDetection computes it. Each ground-truth box goes to the anchor (of all levels) whose
/// shape fits it best, in the cell holding its centre; there the loss has a centre term (BCE on the cell offset; L1
/// when grid-sensitive), a size term (L1 on log-size ratios), both scaled by 2 − box area / image area, and a class
/// term (BCE, optionally label-smoothed). Objectness is BCE: assigned cells towards 1, the others towards 0 unless
/// their predicted box overlaps a ground truth by more than the ignore threshold. Every assigned term is weighted by
/// the box's mixup weight. Terms are summed over cells and averaged over the batch.
/// </summary>
public sealed class YoloLoss(YoloHead head)
{
    private static readonly Scalar Tiny = 1e-9;

    private YoloOptions Options => head.Options;

    public Dictionary<string, Tensor> Compute(Tensor[] raw, IReadOnlyList<DetectionTarget> targets, long inputHeight, long inputWidth)
    {
        var sums = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Device device = raw[0].device;
        Tensor gtBoxes = PaddedBoxes(targets, device);
        for (int level = 0; level < raw.Length; level++)
        {
            YoloLevel p = head.Split(raw[level], level);
            LevelTargets t = BuildTargets(level, p, targets, inputHeight, inputWidth, device);
            foreach (var (name, value) in LevelLoss(level, p, t, gtBoxes))
            {
                sums[name] = sums.TryGetValue(name, out var s) ? s + value : value;
            }
        }

        return sums;
    }

    private Dictionary<string, Tensor> LevelLoss(int level, YoloLevel p, LevelTargets t, Tensor gtBoxes)
    {
        double s = Options.ScaleXY;
        Tensor positive = t.Scale * t.Obj;
        Tensor lossXy;
        if (Math.Abs(s - 1) < 1e-10)
        {
            lossXy = functional.binary_cross_entropy_with_logits(p.X, t.X, reduction: Reduction.None)
                + functional.binary_cross_entropy_with_logits(p.Y, t.Y, reduction: Reduction.None);
        }
        else
        {
            Tensor x = p.X.sigmoid() * s - 0.5 * (s - 1);
            Tensor y = p.Y.sigmoid() * s - 0.5 * (s - 1);
            lossXy = (x - t.X).abs() + (y - t.Y).abs();
        }

        Tensor lossWh = (p.W - t.W).abs() + (p.H - t.H).abs();
        Tensor predBoxes = head.DecodeBoxes(p, level);

        // Objectness: unassigned predictions overlapping a ground truth above the threshold are ignored.
        long b = p.Obj.shape[0];
        Tensor ignore;
        using (no_grad())
        {
            Tensor iou = PairwiseIou(predBoxes.detach().reshape(b, -1, 4), gtBoxes); // [B, M, N]
            Tensor best = iou.shape[2] == 0 ? zeros(b, iou.shape[1], device: iou.device) : iou.amax([2]);
            ignore = best.le(Options.IgnoreThreshold).to_type(ScalarType.Float32).reshape(p.Obj.shape);
        }

        Tensor objMask = t.Obj.gt(HeldScalars.Zero).to_type(ScalarType.Float32);
        Tensor objBce = functional.binary_cross_entropy_with_logits(p.Obj, objMask, reduction: Reduction.None);
        Tensor lossObj = objBce * t.Obj + objBce * (1 - objMask) * ignore;

        Tensor cls = t.Cls;
        if (Options.LabelSmooth)
        {
            double delta = Math.Min(1.0 / head.NumClasses, 1.0 / 40);
            using Scalar scale = 1 - 2 * delta, shift = delta;
            cls = cls.gt(HeldScalars.Zero).to_type(ScalarType.Float32).mul_(scale).add_(shift, HeldScalars.One);
        }

        Tensor lossCls = functional.binary_cross_entropy_with_logits(p.Cls, cls, reduction: Reduction.None) * t.Obj.unsqueeze(-1);
        var losses = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["loss_xy"] = PerImage(lossXy * positive),
            ["loss_wh"] = PerImage(lossWh * positive),
            ["loss_obj"] = PerImage(lossObj),
            ["loss_cls"] = PerImage(lossCls),
        };
        if (Options.ExtraLosses.Count > 0)
        {
            var context = new YoloLossContext(p, predBoxes, TargetBoxes(level, t), positive, t.Obj);
            foreach (IYoloLossTerm term in Options.ExtraLosses)
            {
                losses[term.Name] = term.Compute(context);
            }
        }

        return losses;
    }

    /// <summary>Sum over everything but the batch, mean over the batch.</summary>
    internal static Tensor PerImage(Tensor x) => x.reshape(x.shape[0], -1).sum(1).mean();

    /// <summary>The assigned ground truth decoded back to input pixels (the inverse of the target encoding).</summary>
    private Tensor TargetBoxes(int level, LevelTargets t)
    {
        long h = t.X.shape[2], w = t.X.shape[3];
        int stride = Options.Strides[level];
        Device device = t.X.device;
        var (aw, ah) = head.AnchorTensors(level, device);
        Tensor cx = (t.X + arange(w, float32, device).reshape(1, 1, 1, w)) * stride;
        Tensor cy = (t.Y + arange(h, float32, device).reshape(1, 1, h, 1)) * stride;
        Tensor bw = t.W.exp() * aw, bh = t.H.exp() * ah;
        Tensor boxes = stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1);
        return boxes * t.Obj.gt(HeldScalars.Zero).unsqueeze(-1);
    }

    /// <summary>Encoded targets of one level: offsets, log-size ratios, size scale, mixup weight and one-hot classes.</summary>
    private sealed record LevelTargets(Tensor X, Tensor Y, Tensor W, Tensor H, Tensor Scale, Tensor Obj, Tensor Cls);

    private LevelTargets BuildTargets(int level, YoloLevel p, IReadOnlyList<DetectionTarget> targets, long inputHeight, long inputWidth, Device device)
    {
        int[] mask = Options.AnchorMasks[level];
        int a = mask.Length, c = head.NumClasses;
        long batch = p.X.shape[0], gh = p.X.shape[2], gw = p.X.shape[3];
        long cells = a * gh * gw;
        var tx = new float[batch * cells];
        var ty = new float[tx.Length];
        var tw = new float[tx.Length];
        var th = new float[tx.Length];
        var ts = new float[tx.Length];
        var to = new float[tx.Length];
        var tc = new float[tx.Length * c];
        for (int img = 0; img < targets.Count; img++)
        {
            DetectionTarget target = targets[img];
            float[] boxes = HostArrays.Of<float>(target.Boxes, ScalarType.Float32);
            long[] labels = HostArrays.Of<long>(target.Labels, ScalarType.Int64);
            float[]? weights = (target.Weights is null ? null : HostArrays.Of<float>(target.Weights, ScalarType.Float32));
            for (int n = 0; n < labels.Length; n++)
            {
                float x1 = boxes[n * 4], y1 = boxes[n * 4 + 1], x2 = boxes[n * 4 + 2], y2 = boxes[n * 4 + 3];
                float bw = x2 - x1, bh = y2 - y1;
                if (bw <= 0 || bh <= 0 || labels[n] < 0 || labels[n] >= c)
                {
                    continue;
                }

                float cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
                int best = BestAnchor(bw, bh, out double[] shapeIou);
                long gi = Math.Clamp((long)(cx / inputWidth * gw), 0, gw - 1);
                long gj = Math.Clamp((long)(cy / inputHeight * gh), 0, gh - 1);
                for (int k = 0; k < a; k++)
                {
                    int anchor = mask[k];
                    if (anchor != best && !(shapeIou[anchor] > Options.AssignIouThreshold))
                    {
                        continue;
                    }

                    long cell = ((img * a + k) * gh + gj) * gw + gi;
                    tx[cell] = (float)(cx / inputWidth * gw - gi);
                    ty[cell] = (float)(cy / inputHeight * gh - gj);
                    tw[cell] = MathF.Log(bw / Options.Anchors[anchor].W);
                    th[cell] = MathF.Log(bh / Options.Anchors[anchor].H);
                    ts[cell] = (float)(2.0 - bw * bh / ((double)inputWidth * inputHeight));
                    to[cell] = weights?[n] ?? 1f;
                    Array.Clear(tc, (int)(cell * c), c);
                    tc[cell * c + labels[n]] = 1f;
                }
            }
        }

        long[] shape = [batch, a, gh, gw];
        return new LevelTargets(T(tx, shape), T(ty, shape), T(tw, shape), T(th, shape), T(ts, shape), T(to, shape),
            T(tc, [batch, a, gh, gw, c]));

        Tensor T(float[] data, long[] dims) => tensor(data, dims).to(device);
    }

    /// <summary>The anchor (over all levels) whose shape overlaps the box's best when both are centred at the origin.</summary>
    private int BestAnchor(float w, float h, out double[] iou)
    {
        var anchors = Options.Anchors;
        iou = new double[anchors.Count];
        int best = 0;
        for (int i = 0; i < anchors.Count; i++)
        {
            double inter = Math.Min(w, anchors[i].W) * (double)Math.Min(h, anchors[i].H);
            iou[i] = inter / (w * (double)h + anchors[i].W * (double)anchors[i].H - inter);
            if (iou[i] > iou[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Ground-truth boxes of the batch padded with empty boxes to [B, Nmax, 4].</summary>
    private static Tensor PaddedBoxes(IReadOnlyList<DetectionTarget> targets, Device device)
    {
        long max = targets.Count == 0 ? 0 : targets.Max(t => t.Boxes.shape[0]);
        Tensor padded = zeros(targets.Count, max, 4, device: device);
        for (int i = 0; i < targets.Count; i++)
        {
            long n = targets[i].Boxes.shape[0];
            if (n > 0)
            {
                padded[i].narrow(0, 0, n).copy_(targets[i].Boxes.to(device).to_type(ScalarType.Float32));
            }
        }

        return padded;
    }

    /// <summary>IoU of [B, M, 4] against [B, N, 4] boxes (x1, y1, x2, y2) → [B, M, N]; empty boxes overlap nothing.</summary>
    internal static Tensor PairwiseIou(Tensor a, Tensor b)
    {
        Tensor lt = maximum(a.unsqueeze(2).narrow(-1, 0, 2), b.unsqueeze(1).narrow(-1, 0, 2));
        Tensor rb = minimum(a.unsqueeze(2).narrow(-1, 2, 2), b.unsqueeze(1).narrow(-1, 2, 2));
        Tensor wh = (rb - lt).clamp_min(HeldScalars.Zero);
        Tensor inter = wh.select(-1, 0) * wh.select(-1, 1);
        Tensor areaA = ((a.select(-1, 2) - a.select(-1, 0)) * (a.select(-1, 3) - a.select(-1, 1))).unsqueeze(2);
        Tensor areaB = ((b.select(-1, 2) - b.select(-1, 0)) * (b.select(-1, 3) - b.select(-1, 1))).unsqueeze(1);
        return inter / (areaA + areaB - inter).clamp_min(Tiny);
    }
}
