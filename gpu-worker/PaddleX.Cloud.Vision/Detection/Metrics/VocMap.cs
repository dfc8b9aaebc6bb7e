namespace PaddleX.Cloud.Vision.Detection.Metrics;

public enum VocMapType
{
    /// <summary>Mean of the best precision at recall ≥ 0, 0.1, …, 1 (VOC2007), what PaddleX logs as <c>bbox_map</c>.</summary>
    ElevenPoint,

    /// <summary>Area under the raw precision/recall curve.</summary>
    Integral,
}

/// <summary>A ground-truth box of one image: 0-based class, PaddleX pixel corners, VOC's difficult flag.</summary>
public readonly record struct VocGroundTruth(int Label, PixelBox Box, bool Difficult = false);

/// <summary>A detection of one image: 0-based class, score, PaddleX pixel corners.</summary>
public readonly record struct VocDetection(int Label, double Score, PixelBox Box);

/// <summary>Mean AP and the per-class APs (null for a class that has ground truth but no detection — it counts
/// as 0 in the mean — and for a class without ground truth, which the mean skips).</summary>
public sealed record VocMapResult(double Map, IReadOnlyList<double?> ClassAps);

/// <summary>
/// Pascal VOC mAP the way PaddleX (2.1) computes its <c>bbox_map</c>: a detection is a true positive when its best
/// same-class ground truth overlaps it by more than <c>overlapThreshold</c> and was not taken by an earlier
/// detection of the image; a detection whose best match is a difficult box counts neither way and difficult boxes
/// are not counted as ground truth (unless <c>evaluateDifficult</c>). Detections of an image are taken in the order
/// given. The 11-point AP reproduces PaddleX's interpolation loop exactly, including its early-break behaviour.
/// </summary>
public sealed class VocMap
{
    private readonly List<(double Score, bool Positive)>[] scored;
    private readonly int[] gtCounts;

    public VocMap(int classes, double overlapThreshold = 0.5, VocMapType type = VocMapType.ElevenPoint, bool evaluateDifficult = false)
    {
        Classes = classes;
        OverlapThreshold = overlapThreshold;
        Type = type;
        EvaluateDifficult = evaluateDifficult;
        scored = Enumerable.Range(0, classes).Select(_ => new List<(double, bool)>()).ToArray();
        gtCounts = new int[classes];
    }

    public int Classes { get; }

    public double OverlapThreshold { get; }

    public VocMapType Type { get; }

    public bool EvaluateDifficult { get; }

    /// <summary>Adds one image.</summary>
    public void Update(IReadOnlyList<VocDetection> detections, IReadOnlyList<VocGroundTruth> groundTruth)
    {
        foreach (var gt in groundTruth)
        {
            if (EvaluateDifficult || !gt.Difficult)
            {
                gtCounts[CheckLabel(gt.Label)]++;
            }
        }

        var visited = new bool[groundTruth.Count];
        foreach (var det in detections)
        {
            var label = CheckLabel(det.Label);
            var best = -1;
            var bestOverlap = -1.0;
            for (var i = 0; i < groundTruth.Count; i++)
            {
                if (groundTruth[i].Label != det.Label)
                {
                    continue;
                }

                var overlap = PixelBox.Iou(det.Box, groundTruth[i].Box);
                if (overlap > bestOverlap)
                {
                    bestOverlap = overlap;
                    best = i;
                }
            }

            if (bestOverlap > OverlapThreshold)
            {
                if (EvaluateDifficult || !groundTruth[best].Difficult)
                {
                    scored[label].Add((det.Score, !visited[best]));
                    visited[best] = true;
                }
            }
            else
            {
                scored[label].Add((det.Score, false));
            }
        }
    }

    private int CheckLabel(int label) =>
        label >= 0 && label < Classes ? label : throw new InvalidDataException($"class {label} is outside 0…{Classes - 1}");

    public VocMapResult Accumulate()
    {
        var aps = new double?[Classes];
        double sum = 0;
        var valid = 0;
        for (var c = 0; c < Classes; c++)
        {
            if (gtCounts[c] == 0)
            {
                continue;
            }

            valid++;
            if (scored[c].Count == 0)
            {
                continue;
            }

            // Stable sort by descending score, as Python's sorted(reverse=True).
            var ordered = scored[c].OrderByDescending(s => s.Score).ToList();
            var precision = new double[ordered.Count];
            var recall = new double[ordered.Count];
            int tp = 0, fp = 0;
            for (var i = 0; i < ordered.Count; i++)
            {
                if (ordered[i].Positive)
                {
                    tp++;
                }
                else
                {
                    fp++;
                }

                precision[i] = (double)tp / (tp + fp);
                recall[i] = (double)tp / gtCounts[c];
            }

            var ap = Type == VocMapType.ElevenPoint ? ElevenPoint(precision, recall) : Integral(precision, recall);
            aps[c] = ap;
            sum += ap;
        }

        return new VocMapResult(valid > 0 ? sum / valid : sum, aps);
    }

    private static double ElevenPoint(double[] precision, double[] recall)
    {
        var best = new double[11];
        var start = precision.Length - 1;
        for (var j = 10; j >= 0; j--)
        {
            for (var i = start; i >= 0; i--)
            {
                if (recall[i] < j / 10.0)
                {
                    start = i;
                    if (j > 0)
                    {
                        best[j - 1] = best[j];
                        break;
                    }
                }
                else if (best[j] < precision[i])
                {
                    best[j] = precision[i];
                }
            }
        }

        return best.Sum() / 11.0;
    }

    private static double Integral(double[] precision, double[] recall)
    {
        double ap = 0, previous = 0;
        for (var i = 0; i < precision.Length; i++)
        {
            var gap = Math.Abs(recall[i] - previous);
            if (gap > 1e-6)
            {
                ap += precision[i] * gap;
                previous = recall[i];
            }
        }

        return ap;
    }

    /// <summary>VOC mAP of COCO results against a COCO ground-truth dict, as PaddleX's offline evaluation reads them:
    /// classes are the categories in file order, crowd objects and degenerate boxes are left out, ground-truth boxes
    /// are clipped to the image, <c>[x, y, w, h]</c> becomes pixel corners (see <see cref="PixelBox"/>).</summary>
    public static VocMapResult Evaluate(CocoDataset groundTruth, IReadOnlyList<CocoResult> results, double overlapThreshold = 0.5, VocMapType type = VocMapType.ElevenPoint)
    {
        var set = DetectionSet.FromCoco(groundTruth, results);
        var map = new VocMap(set.Labels.Count, overlapThreshold, type);
        foreach (var image in set.Images)
        {
            map.Update(image.Detections, image.GroundTruth);
        }

        return map.Accumulate();
    }
}
