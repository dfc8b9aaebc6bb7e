using PaddleX.Cloud.Vision.Detection.Models.Yolo;
using PaddleX.Cloud.Vision.Detection.Ops;
using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.PPYolo;

/// <summary>
/// Matrix NMS (SOLOv2; Paddle's <c>matrix_nms</c> as PP-YOLO and PP-YOLOv2 use it, linear decay): per class, the
/// candidates above the score threshold, best first (at most <c>PreNmsTopK</c>); each one's score is multiplied by
/// the smallest <c>(1 − IoU(j, i)) / (1 − maxIoU(j))</c> over the better candidates j, where maxIoU(j) is j's own
/// largest overlap with a better one — so a box is decayed by its overlaps, less so when the overlapping box was
/// itself suppressed. Decayed scores at or below the threshold go; the best <c>MaxDetections</c> over all classes
/// remain. One parallel matrix step instead of greedy NMS's sequential suppression.
/// </summary>
public sealed class MatrixNmsPostProcess : IYoloPostProcess
{
    public static MatrixNmsPostProcess Instance { get; } = new();

    public Detections Apply(Tensor boxes, Tensor scores, DetectOptions options)
    {
        using var scope = NewDisposeScope();
        var keptBoxes = new List<Tensor>();
        var keptScores = new List<Tensor>();
        var keptLabels = new List<Tensor>();
        for (long c = 0; c < scores.shape[1]; c++)
        {
            var classScores = scores.select(1, c);
            var candidates = classScores.gt(options.ScoreThreshold).nonzero().view(-1);
            if (candidates.shape[0] == 0)
            {
                continue;
            }

            var (sorted, order) = classScores.index(candidates).sort(descending: true);
            if (options.PreNmsTopK > 0 && sorted.shape[0] > options.PreNmsTopK)
            {
                sorted = sorted.narrow(0, 0, options.PreNmsTopK);
                order = order.narrow(0, 0, options.PreNmsTopK);
            }

            var b = boxes.index(candidates.index(order));
            var decayed = sorted.mul(Decay(b));
            var keep = decayed.gt(options.ScoreThreshold);
            keptBoxes.Add(b.index(keep));
            keptScores.Add(decayed.index(keep));
            keptLabels.Add(full(keep.sum().item<long>(), c, ScalarType.Int64, boxes.device));
        }

        if (keptScores.Count == 0)
        {
            return new Detections(
                empty(0, 4, boxes.dtype, boxes.device).MoveToOuterDisposeScope(),
                empty(0, scores.dtype, scores.device).MoveToOuterDisposeScope(),
                empty(0, ScalarType.Int64, boxes.device).MoveToOuterDisposeScope());
        }

        var allScores = cat(keptScores, 0);
        var (best, rank) = allScores.sort(descending: true);
        var top = rank.narrow(0, 0, Math.Min(rank.shape[0], options.MaxDetections));
        return new Detections(
            cat(keptBoxes, 0).index(top).MoveToOuterDisposeScope(),
            best.narrow(0, 0, top.shape[0]).MoveToOuterDisposeScope(),
            cat(keptLabels, 0).index(top).MoveToOuterDisposeScope());
    }

    /// <summary>Linear decay factors of boxes sorted best first: [N] in (0, 1].</summary>
    internal static Tensor Decay(Tensor sortedBoxes)
    {
        using var scope = NewDisposeScope();
        long n = sortedBoxes.shape[0];
        var iou = BoxOps.Iou(sortedBoxes, sortedBoxes).triu(1); // [j, i]: IoU of better j with worse i
        var compensate = iou.amax([0]).view(n, 1);               // each j's largest overlap with a better box
        return iou.neg().add(1).div(compensate.neg().add(1).clamp_min(1e-6)).amin([0]).clamp_max(1).MoveToOuterDisposeScope();
    }
}
