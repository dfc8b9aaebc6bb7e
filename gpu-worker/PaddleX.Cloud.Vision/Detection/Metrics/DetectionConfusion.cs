namespace PaddleX.Cloud.Vision.Detection.Metrics;

/// <summary>Precision and recall of one class at the score threshold (−1 when undefined) and its AP (null when
/// the class has no AP).</summary>
public sealed record ClassPrecisionRecall(double Precision, double Recall, double? Ap);

/// <summary>
/// The confusion matrix and per-class precision/recall of PaddleX's offline detection report, over C classes plus
/// background (last row and column). Only detections scoring at least the score threshold count. For the matrix,
/// each detection (best score first) is matched to the <em>last</em> ground truth overlapping it by at least the
/// overlap threshold, whatever its class: such a pair adds to [true class, detected class], a detection without one
/// to [background, detected class], a ground truth no detection matched to [class, background] (a ground truth
/// matched by a later detection is counted as matched). Precision and recall come from a separate class-aware
/// greedy match: each detection takes its best-overlapping same-class ground truth if that overlap reaches the
/// threshold and the ground truth is free (difficult boxes are never taken but still count as ground truth).
/// </summary>
public sealed class DetectionConfusion
{
    private readonly int[] truePositives;
    private readonly int[] groundTruths;
    private readonly int[] predictions;

    public DetectionConfusion(int classes, double scoreThreshold, double overlapThreshold)
    {
        Classes = classes;
        ScoreThreshold = scoreThreshold;
        OverlapThreshold = overlapThreshold;
        Matrix = new long[classes + 1, classes + 1];
        truePositives = new int[classes];
        groundTruths = new int[classes];
        predictions = new int[classes];
    }

    public int Classes { get; }

    public double ScoreThreshold { get; }

    public double OverlapThreshold { get; }

    /// <summary>[true class, detected class], background last.</summary>
    public long[,] Matrix { get; }

    /// <summary>Adds one image: ground-truth classes and difficult flags, detections (class, score) and their
    /// overlap with each ground truth, <c>overlap(detection, groundTruth)</c>.</summary>
    public void Add(IReadOnlyList<int> gtLabels, IReadOnlyList<bool> gtDifficult, IReadOnlyList<(int Label, double Score)> detections, Func<int, int, double> overlap)
    {
        var kept = Enumerable.Range(0, detections.Count)
            .OrderByDescending(i => detections[i].Score)
            .Where(i => detections[i].Score >= ScoreThreshold)
            .ToList();
        foreach (var i in kept)
        {
            predictions[detections[i].Label]++;
        }

        foreach (var label in gtLabels)
        {
            groundTruths[label]++;
        }

        var background = Classes;
        var gtMatch = Enumerable.Repeat(-1, gtLabels.Count).ToArray();
        var dtMatch = Enumerable.Repeat(-1, kept.Count).ToArray();
        for (var j = 0; j < kept.Count; j++)
        {
            var m = -1;
            for (var g = 0; g < gtLabels.Count; g++)
            {
                if (overlap(kept[j], g) >= OverlapThreshold)
                {
                    m = g;
                }
            }

            if (m != -1)
            {
                gtMatch[m] = j;
                dtMatch[j] = m;
            }
        }

        for (var g = 0; g < gtLabels.Count; g++)
        {
            if (gtMatch[g] == -1)
            {
                Matrix[gtLabels[g], background]++;
            }
        }

        for (var j = 0; j < kept.Count; j++)
        {
            var label = detections[kept[j]].Label;
            Matrix[dtMatch[j] > -1 ? gtLabels[dtMatch[j]] : background, label]++;
        }

        Array.Fill(gtMatch, -1);
        for (var j = 0; j < kept.Count; j++)
        {
            var label = detections[kept[j]].Label;
            var m = -1;
            var best = -1.0;
            for (var g = 0; g < gtLabels.Count; g++)
            {
                if (gtLabels[g] != label)
                {
                    continue;
                }

                var o = overlap(kept[j], g);
                if (o > best)
                {
                    best = o;
                    m = g;
                }
            }

            if (best < OverlapThreshold || m == -1 || gtDifficult[m] || gtMatch[m] > -1)
            {
                continue;
            }

            gtMatch[m] = j;
            truePositives[label]++;
        }
    }

    /// <summary>Per-class precision (TP / detections) and recall (TP / ground truth), −1 when the denominator is 0.</summary>
    public (double Precision, double Recall) PrecisionRecall(int label) =>
        (predictions[label] == 0 ? -1 : (double)truePositives[label] / predictions[label],
         groundTruths[label] == 0 ? -1 : (double)truePositives[label] / groundTruths[label]);
}
