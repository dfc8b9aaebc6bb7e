using PaddleX.Cloud.Vision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Matrix NMS (SOLOv2; PaddlePaddle's <c>matrix_nms</c> as PP-YOLO uses it): instead of dropping overlapping boxes,
/// each candidate's score decays by how much it overlaps a higher-scored candidate of its class, compensated by how
/// much that one was itself overlapped — all from one IoU matrix per class, no sequential loop.
/// </summary>
/// <remarks>Equal scores are ordered by box index (PaddlePaddle's partial sort leaves their order open).</remarks>
public static class MatrixNms
{
    /// <summary>Detections of one image from <paramref name="boxes"/> [N, 4] and per-class scores
    /// <paramref name="scores"/> [N, C]: at most <see cref="MatrixNmsOptions.KeepTopK"/>, by descending decayed score;
    /// labels are class columns (int64).</summary>
    public static (Tensor Boxes, Tensor Scores, Tensor Labels) Apply(Tensor boxes, Tensor scores, MatrixNmsOptions o)
    {
        BoxOps.RequireBoxes(boxes, nameof(boxes));
        if (scores.dim() != 2 || scores.shape[0] != boxes.shape[0])
        {
            throw new ArgumentException($"scores must be [{boxes.shape[0]}, C], got [{string.Join(", ", scores.shape)}]", nameof(scores));
        }

        using var scope = NewDisposeScope();
        var keptScores = new List<Tensor>();
        var keptIndices = new List<Tensor>();
        var keptLabels = new List<Tensor>();
        for (long c = 0; c < scores.shape[1]; c++)
        {
            if (c == o.BackgroundLabel)
            {
                continue;
            }

            var (index, decayed) = DecayClass(boxes, scores.select(1, c), o);
            keptIndices.Add(index);
            keptScores.Add(decayed);
            keptLabels.Add(full(index.shape[0], c, ScalarType.Int64, boxes.device));
        }

        if (keptIndices.Count == 0)
        {
            return Empty(boxes);
        }

        var allScores = cat(keptScores, 0);
        var order = allScores.sort(descending: true, stable: true).Indices;
        if (o.KeepTopK > -1 && order.shape[0] > o.KeepTopK)
        {
            order = order.narrow(0, 0, o.KeepTopK);
        }

        var resultBoxes = boxes.index_select(0, cat(keptIndices, 0).index_select(0, order));
        return (resultBoxes.MoveToOuterDisposeScope(), allScores.index_select(0, order).MoveToOuterDisposeScope(),
            cat(keptLabels, 0).index_select(0, order).MoveToOuterDisposeScope());
    }

    /// <summary>One class: candidate box indices kept and their decayed scores, in candidate (score) order.</summary>
    private static (Tensor Index, Tensor Scores) DecayClass(Tensor boxes, Tensor classScores, MatrixNmsOptions o)
    {
        var candidates = (classScores > o.ScoreThreshold).nonzero().view(-1);
        var (sorted, order) = classScores.index_select(0, candidates).sort(descending: true, stable: true);
        if (o.NmsTopK > -1 && sorted.shape[0] > o.NmsTopK)
        {
            sorted = sorted.narrow(0, 0, o.NmsTopK);
            order = order.narrow(0, 0, o.NmsTopK);
        }

        var index = candidates.index_select(0, order);
        long n = index.shape[0];
        if (n == 0)
        {
            return (index, sorted);
        }

        // iou[i, j], j < i: overlap of candidate i with the higher-scored candidate j; zero on and above the diagonal.
        var higher = ones(n, n, ScalarType.Bool, boxes.device).tril(-1);
        var iou = where(higher, PairwiseIou(boxes.index_select(0, index), o.Normalized), 0f);
        var maxIou = iou.max(1).values.unsqueeze(0);  // [1, n]: how much candidate j was overlapped by those above it
        using Scalar sigma = o.GaussianSigma;
        var decay = o.UseGaussian
            ? (maxIou.square() - iou.square()).mul_(sigma).exp_()
            : (1 - iou) / (1 - maxIou);
        // Only higher-scored candidates decay a score; a 0/0 of two identical boxes (linear decay) constrains nothing.
        decay = where(higher.logical_and(decay.isnan().logical_not()), decay, 1f);
        var decayed = sorted * decay.min(1).values.clamp_max(HeldScalars.One);
        var keep = (decayed > o.PostThreshold).nonzero().view(-1);
        return (index.index_select(0, keep), decayed.index_select(0, keep));
    }

    /// <summary>[n, n] IoU in PaddlePaddle's detection convention: pixel boxes (not normalized) measure x2 − x1 + 1,
    /// an inverted box has area 0, boxes that do not touch overlap 0.</summary>
    private static Tensor PairwiseIou(Tensor b, bool normalized)
    {
        float plus = normalized ? 0f : 1f;
        var c = b.unbind(1);
        Tensor x1 = c[0], y1 = c[1], x2 = c[2], y2 = c[3];
        var area = where(x2.lt(x1).logical_or(y2.lt(y1)), 0f, (x2 - x1 + plus) * (y2 - y1 + plus));
        Tensor Col(Tensor t) => t.unsqueeze(1);
        Tensor Row(Tensor t) => t.unsqueeze(0);
        var iw = minimum(Col(x2), Row(x2)) - maximum(Col(x1), Row(x1)) + plus;
        var ih = minimum(Col(y2), Row(y2)) - maximum(Col(y1), Row(y1)) + plus;
        var inter = iw * ih;
        var iou = inter / (Col(area) + Row(area) - inter);
        var apart = Row(x1).gt(Col(x2)).logical_or(Row(x2).lt(Col(x1))).logical_or(Row(y1).gt(Col(y2))).logical_or(Row(y2).lt(Col(y1)));
        return where(apart, 0f, iou);
    }

    private static (Tensor, Tensor, Tensor) Empty(Tensor boxes) =>
        (zeros([0, 4], boxes.dtype, boxes.device), zeros(0, boxes.dtype, boxes.device), zeros(0, ScalarType.Int64, boxes.device));
}
