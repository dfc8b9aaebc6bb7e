using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Yolo;

/// <summary>Turns one image's decoded candidates into detections (multi-class NMS, Matrix NMS, …).</summary>
public interface IYoloPostProcess
{
    /// <param name="boxes">[M, 4] x1, y1, x2, y2 in input pixels.</param>
    /// <param name="scores">[M, C] per-class scores.</param>
    Models.Detections Apply(Tensor boxes, Tensor scores, Models.DetectOptions options);
}

/// <summary>
/// Paddle's <c>multiclass_nms</c> as PaddleX's YOLOv3 uses it: per class the candidates above the score threshold,
/// at most <c>PreNmsTopK</c> of them by score, greedy NMS per class, then the best <c>MaxDetections</c> over all
/// classes, sorted by score.
/// </summary>
public sealed class MultiClassNms : IYoloPostProcess
{
    public static MultiClassNms Instance { get; } = new();

    public Models.Detections Apply(Tensor boxes, Tensor scores, Models.DetectOptions options)
    {
        using var scope = NewDisposeScope();
        Tensor keepMask = scores.gt(options.ScoreThreshold);
        Tensor idx = keepMask.nonzero(); // [K, 2] (candidate, class)
        Tensor cand = idx.select(1, 0), cls = idx.select(1, 1);
        Tensor sc = scores.index([cand, cls]);
        // At most PreNmsTopK candidates per class enter NMS.
        if (options.PreNmsTopK > 0 && sc.shape[0] > options.PreNmsTopK)
        {
            Tensor order = sc.argsort(descending: true);
            Tensor sortedCls = cls.index(order);
            Tensor onehot = nn.functional.one_hot(sortedCls, scores.shape[1]);
            Tensor rank = (onehot.cumsum(0) * onehot).sum(1) - 1; // position of each candidate within its class
            Tensor keep = order.index(rank.lt(options.PreNmsTopK));
            cand = cand.index(keep);
            cls = cls.index(keep);
            sc = sc.index(keep);
        }

        Tensor b = boxes.index(cand);
        Tensor kept = Nms.Batched(b, sc, cls, options.NmsThreshold);
        if (kept.shape[0] > options.MaxDetections)
        {
            kept = kept.narrow(0, 0, options.MaxDetections);
        }

        var result = new Models.Detections(b.index(kept).MoveToOuterDisposeScope(), sc.index(kept).MoveToOuterDisposeScope(),
            cls.index(kept).MoveToOuterDisposeScope());
        return result;
    }
}
