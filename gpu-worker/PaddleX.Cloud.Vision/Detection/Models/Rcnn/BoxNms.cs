using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Models.Rcnn;

/// <summary>Greedy non-maximum suppression (TorchVision 0.107 has no <c>nms</c> op): highest score first, drop
/// every later box whose IoU with a kept one exceeds the threshold.</summary>
internal static class BoxNms
{
    /// <summary>Kept indices into <paramref name="boxes"/>, by decreasing score.</summary>
    public static Tensor Nms(Tensor boxes, Tensor scores, double iouThreshold)
    {
        using var scope = NewDisposeScope();
        var n = boxes.shape[0];
        if (n == 0)
        {
            return empty(0, dtype: int64, device: boxes.device).MoveToOuterDisposeScope();
        }

        var order = scores.argsort(descending: true);
        var sorted = boxes[order].to(float32).cpu();
        var iou = TorchSharp.torchvision.ops.box_iou(sorted, sorted).contiguous().data<float>().ToArray();
        var removed = new bool[n];
        var keep = new List<long>();
        for (long i = 0; i < n; i++)
        {
            if (removed[i])
            {
                continue;
            }

            keep.Add(i);
            var row = i * n;
            for (var j = i + 1; j < n; j++)
            {
                if (iou[row + j] > iouThreshold)
                {
                    removed[j] = true;
                }
            }
        }

        return order[tensor(keep.ToArray(), device: boxes.device)].MoveToOuterDisposeScope();
    }

    /// <summary>NMS within each <paramref name="groups"/> value (class or pyramid level), one group at a time (a
    /// single IoU matrix over every group would grow with the square of all boxes); kept indices by decreasing score.</summary>
    public static Tensor Batched(Tensor boxes, Tensor scores, Tensor groups, double iouThreshold)
    {
        using var scope = NewDisposeScope();
        var kept = new List<Tensor>();
        foreach (var g in groups.unique().output.cpu().data<long>().ToArray())
        {
            var members = (groups == g).nonzero().squeeze(1);
            kept.Add(members[Nms(boxes[members], scores[members], iouThreshold)]);
        }

        if (kept.Count == 0)
        {
            return empty(0, dtype: int64, device: boxes.device).MoveToOuterDisposeScope();
        }

        var all = cat(kept, 0);
        return all[scores[all].argsort(descending: true)].MoveToOuterDisposeScope();
    }
}
