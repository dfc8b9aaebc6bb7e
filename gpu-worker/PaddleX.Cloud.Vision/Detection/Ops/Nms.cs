using static TorchSharp.torch;

namespace PaddleX.Cloud.Vision.Detection.Ops;

/// <summary>
/// Greedy non-maximum suppression with torchvision's results: boxes are visited by descending score (equal scores
/// in index order), and a box is dropped when its IoU with an already kept box of its class exceeds the threshold.
/// The loop runs over CPU arrays in single precision, as torchvision's C++ kernel does, so the kept set matches it
/// exactly; each candidate is compared with the kept boxes only, which is far less work than the full pairwise matrix
/// when most boxes are suppressed.
/// </summary>
public static class Nms
{
    /// <summary>Indices (int64, on the boxes' device) of the boxes kept, by descending score
    /// (torchvision <c>ops.nms</c>).</summary>
    public static Tensor Apply(Tensor boxes, Tensor scores, double iouThreshold) =>
        Run(boxes, scores, classes: null, iouThreshold);

    /// <summary>NMS within each class (torchvision <c>ops.batched_nms</c>): boxes of different classes never suppress
    /// each other. Kept indices by descending score.</summary>
    public static Tensor Batched(Tensor boxes, Tensor scores, Tensor classes, double iouThreshold)
    {
        if (classes.dim() != 1 || classes.shape[0] != boxes.shape[0])
        {
            throw new ArgumentException($"classes must be [{boxes.shape[0]}], got [{string.Join(", ", classes.shape)}]", nameof(classes));
        }

        return Run(boxes, scores, classes, iouThreshold);
    }

    private static Tensor Run(Tensor boxes, Tensor scores, Tensor? classes, double iouThreshold)
    {
        BoxOps.RequireBoxes(boxes, nameof(boxes));
        if (scores.dim() != 1 || scores.shape[0] != boxes.shape[0])
        {
            throw new ArgumentException($"scores must be [{boxes.shape[0]}], got [{string.Join(", ", scores.shape)}]", nameof(scores));
        }

        float[] b = HostArrays.Of<float>(boxes, ScalarType.Float32);
        float[] s = HostArrays.Of<float>(scores, ScalarType.Float32);
        long[]? c = classes is null ? null : HostArrays.Of<long>(classes, ScalarType.Int64);
        long[] keep = Greedy(b, s, c, iouThreshold);
        return tensor(keep, ScalarType.Int64, boxes.device);
    }

    internal static long[] Greedy(float[] b, float[] s, long[]? classes, double iouThreshold)
    {
        int n = s.Length;
        int[] order = StableDescending(s);
        var kept = new List<int>();
        // Kept boxes of each class, as positions into `kept`; one shared list when there are no classes.
        var keptByClass = new Dictionary<long, List<int>>();
        float[] area = new float[n];
        for (int i = 0; i < n; i++)
        {
            area[i] = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
        }

        foreach (int i in order)
        {
            long cls = classes?[i] ?? 0;
            if (!keptByClass.TryGetValue(cls, out var same))
            {
                same = [];
                keptByClass[cls] = same;
            }

            if (!Overlaps(b, area, i, same, iouThreshold))
            {
                same.Add(i);
                kept.Add(i);
            }
        }

        return kept.ConvertAll(i => (long)i).ToArray();
    }

    private static bool Overlaps(float[] b, float[] area, int j, List<int> kept, double iouThreshold)
    {
        float x1 = b[4 * j], y1 = b[4 * j + 1], x2 = b[4 * j + 2], y2 = b[4 * j + 3], aj = area[j];
        foreach (int i in kept)
        {
            float w = MathF.Max(0, MathF.Min(b[4 * i + 2], x2) - MathF.Max(b[4 * i], x1));
            float h = MathF.Max(0, MathF.Min(b[4 * i + 3], y2) - MathF.Max(b[4 * i + 1], y1));
            float inter = w * h;
            float iou = inter / (area[i] + aj - inter);
            if (iou > iouThreshold)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Indices sorted by descending score, ties by ascending index (torchvision sorts stably).</summary>
    internal static int[] StableDescending(float[] scores)
    {
        int[] order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) =>
        {
            int byScore = scores[y].CompareTo(scores[x]);
            return byScore != 0 ? byScore : x.CompareTo(y);
        });
        return order;
    }
}
