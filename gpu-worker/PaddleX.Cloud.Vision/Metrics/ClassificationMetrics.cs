namespace PaddleX.Cloud.Vision.Metrics;

/// <summary>Per-class precision/recall/F1 (−1 when the class is absent from the ground truth).</summary>
public sealed record ClassPrf1(double Precision, double Recall, double F1);

/// <summary>The classification evaluation report of docs/api-behaviour.md §6.</summary>
public sealed record ClassificationReport(
    IReadOnlyList<string> Labels,
    long[][] ConfusionMatrix,
    IReadOnlyDictionary<string, ClassPrf1> Prf1,
    ClassPrf1 Prf1Average,
    double Acc1,
    double AccK,
    int TopK,
    int Count);

/// <summary>
/// Accumulates classification results. Confusion matrix rows are true labels, columns top-1 predictions.
/// Per class: precision = tp / predicted, recall = tp / true, F1 = 2·tp / (predicted + true); a class with no
/// true samples reports −1 for all three. The over-all average weights each class by its share of true labels.
/// </summary>
public sealed class ClassificationMetrics
{
    private readonly long[,] confusion;
    private long top1Correct;
    private long topKCorrect;

    public ClassificationMetrics(IReadOnlyList<string> labels, int topK = 5)
    {
        if (labels.Count < 1)
        {
            throw new ArgumentException("at least one label is needed", nameof(labels));
        }

        Labels = labels;
        TopK = Math.Max(1, Math.Min(topK, labels.Count));
        confusion = new long[labels.Count, labels.Count];
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>k actually used: min(requested k, number of labels).</summary>
    public int TopK { get; }

    public long Count { get; private set; }

    public double Acc1 => Count == 0 ? 0 : (double)top1Correct / Count;

    public double AccK => Count == 0 ? 0 : (double)topKCorrect / Count;

    /// <summary>Adds one sample: its true label and the class scores (any monotone scores, e.g. logits).</summary>
    public void Add(int trueLabel, ReadOnlySpan<float> scores)
    {
        int c = Labels.Count;
        if (scores.Length != c)
        {
            throw new ArgumentException($"expected {c} scores, got {scores.Length}", nameof(scores));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(trueLabel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(trueLabel, c);
        int rank = RankOf(trueLabel, scores);
        int predicted = ArgMax(scores);
        confusion[trueLabel, predicted]++;
        if (rank == 0)
        {
            top1Correct++;
        }

        if (rank < TopK)
        {
            topKCorrect++;
        }

        Count++;
    }

    /// <summary>Adds a batch of row-major scores [n, C].</summary>
    public void AddBatch(ReadOnlySpan<long> trueLabels, ReadOnlySpan<float> scores)
    {
        int c = Labels.Count;
        for (int i = 0; i < trueLabels.Length; i++)
        {
            Add((int)trueLabels[i], scores.Slice(i * c, c));
        }
    }

    public long[][] ConfusionMatrix()
    {
        int c = Labels.Count;
        var m = new long[c][];
        for (int i = 0; i < c; i++)
        {
            m[i] = new long[c];
            for (int j = 0; j < c; j++)
            {
                m[i][j] = confusion[i, j];
            }
        }

        return m;
    }

    public ClassificationReport Report()
    {
        int c = Labels.Count;
        var prf = new Dictionary<string, ClassPrf1>(StringComparer.Ordinal);
        double wp = 0, wr = 0, wf = 0;
        for (int k = 0; k < c; k++)
        {
            long tp = confusion[k, k];
            long trueN = 0, predN = 0;
            for (int j = 0; j < c; j++)
            {
                trueN += confusion[k, j];
                predN += confusion[j, k];
            }

            ClassPrf1 v;
            if (trueN == 0)
            {
                v = new ClassPrf1(-1, -1, -1);
            }
            else
            {
                double p = predN == 0 ? 0 : (double)tp / predN;
                double r = (double)tp / trueN;
                double f = 2.0 * tp / (predN + trueN);
                v = new ClassPrf1(p, r, f);
                double w = Count == 0 ? 0 : (double)trueN / Count;
                wp += w * p;
                wr += w * r;
                wf += w * f;
            }

            prf[Labels[k]] = v;
        }

        return new ClassificationReport(Labels, ConfusionMatrix(), prf, new ClassPrf1(wp, wr, wf), Acc1, AccK, TopK, (int)Count);
    }

    /// <summary>Number of classes scoring strictly higher than the true class (ties favour the true class).</summary>
    private static int RankOf(int trueLabel, ReadOnlySpan<float> scores)
    {
        float t = scores[trueLabel];
        int rank = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (scores[i] > t || (scores[i] == t && i < trueLabel))
            {
                rank++;
            }
        }

        return rank;
    }

    private static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }

        return best;
    }
}
