using System.Text.Json;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Metrics;

/// <summary>Per-class precision, recall and IoU of the offline report; −1 where the value is undefined.</summary>
public sealed record PrecisionRecallIoU(double Precision, double Recall, double IoU);

/// <summary>
/// Pixel confusion matrix of semantic segmentation with PaddleSeg's conventions: rows are the true label,
/// columns the prediction, pixels labelled 255 are ignored. Training metrics: <c>miou</c> (a class whose
/// union is empty counts as IoU 0), <c>category_iou</c>, <c>oacc</c> (overall pixel accuracy),
/// <c>category_acc</c> (per class: correct / predicted, 0 when never predicted), <c>kappa</c>.
/// </summary>
public sealed class SegmentationMetrics
{
    public const int IgnoreLabel = 255;

    public SegmentationMetrics(IReadOnlyList<string> labels)
    {
        Labels = labels;
        Confusion = new long[labels.Count, labels.Count];
    }

    public SegmentationMetrics(IReadOnlyList<string> labels, long[,] confusion)
    {
        if (confusion.GetLength(0) != labels.Count || confusion.GetLength(1) != labels.Count)
        {
            throw new ArgumentException($"the confusion matrix is {confusion.GetLength(0)}×{confusion.GetLength(1)} for {labels.Count} labels");
        }

        Labels = labels;
        Confusion = confusion;
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>[true label, predicted label] pixel counts.</summary>
    public long[,] Confusion { get; }

    public int Classes => Labels.Count;

    /// <summary>Adds pixels (true labels, predicted labels); 255 in <paramref name="truth"/> is skipped.</summary>
    public void Add(ReadOnlySpan<long> truth, ReadOnlySpan<long> predicted)
    {
        for (int i = 0; i < truth.Length; i++)
        {
            long t = truth[i];
            if (t == IgnoreLabel)
            {
                continue;
            }

            Confusion[t, predicted[i]]++;
        }
    }

    /// <summary>Adds a flattened C×C matrix (row-major, e.g. computed on the device).</summary>
    public void AddMatrix(ReadOnlySpan<long> flat)
    {
        for (int i = 0; i < Classes; i++)
        {
            for (int j = 0; j < Classes; j++)
            {
                Confusion[i, j] += flat[i * Classes + j];
            }
        }
    }

    private (long[] Intersect, long[] LabelArea, long[] PredArea, long Total) Areas()
    {
        var intersect = new long[Classes];
        var label = new long[Classes];
        var pred = new long[Classes];
        long total = 0;
        for (int i = 0; i < Classes; i++)
        {
            for (int j = 0; j < Classes; j++)
            {
                label[i] += Confusion[i, j];
                pred[j] += Confusion[i, j];
                total += Confusion[i, j];
            }

            intersect[i] = Confusion[i, i];
        }

        return (intersect, label, pred, total);
    }

    public double[] CategoryIoU()
    {
        var (intersect, label, pred, _) = Areas();
        return Enumerable.Range(0, Classes).Select(c =>
        {
            long union = label[c] + pred[c] - intersect[c];
            return union == 0 ? 0.0 : (double)intersect[c] / union;
        }).ToArray();
    }

    public double MeanIoU() => Classes == 0 ? 0 : CategoryIoU().Average();

    public double[] CategoryAcc()
    {
        var (intersect, _, pred, _) = Areas();
        return Enumerable.Range(0, Classes).Select(c => pred[c] == 0 ? 0.0 : (double)intersect[c] / pred[c]).ToArray();
    }

    public double OverallAcc()
    {
        var (intersect, _, _, total) = Areas();
        return total == 0 ? 0 : (double)intersect.Sum() / total;
    }

    public double Kappa()
    {
        var (intersect, label, pred, total) = Areas();
        if (total == 0)
        {
            return 0;
        }

        double po = (double)intersect.Sum() / total;
        double pe = 0;
        for (int c = 0; c < Classes; c++)
        {
            pe += (double)label[c] * pred[c];
        }

        pe /= (double)total * total;
        return pe >= 1 ? 0 : (po - pe) / (1 - pe);
    }

    /// <summary>Precision = correct / predicted, recall = correct / true, IoU = correct / union; −1 when the
    /// denominator is 0 (the offline report's convention).</summary>
    public PrecisionRecallIoU[] PerClass()
    {
        var (intersect, label, pred, _) = Areas();
        return Enumerable.Range(0, Classes).Select(c =>
        {
            long union = label[c] + pred[c] - intersect[c];
            return new PrecisionRecallIoU(
                pred[c] == 0 ? -1 : (double)intersect[c] / pred[c],
                label[c] == 0 ? -1 : (double)intersect[c] / label[c],
                union == 0 ? -1 : (double)intersect[c] / union);
        }).ToArray();
    }

    /// <summary>The scalar metrics kept in checkpoints and charts (<c>miou</c> first: it picks the best model).</summary>
    public Dictionary<string, double> Scalars() => new(StringComparer.Ordinal)
    {
        ["miou"] = MeanIoU(),
        ["oacc"] = OverallAcc(),
        ["kappa"] = Kappa(),
    };

    /// <summary><c>eval_details.json</c>: the label list and the confusion matrix (compact whatever the image count).</summary>
    public object Details() => new Dictionary<string, object>
    {
        ["label_list"] = Labels,
        ["confusion_matrix"] = Rows(),
    };

    public long[][] Rows() =>
        Enumerable.Range(0, Classes).Select(i => Enumerable.Range(0, Classes).Select(j => Confusion[i, j]).ToArray()).ToArray();

    /// <summary>Reads a checkpoint folder's (or a file's) <c>eval_details.json</c> written by segmentation training.</summary>
    public static SegmentationMetrics FromEvalDetails(string checkpointDirOrFile)
    {
        string path = Directory.Exists(checkpointDirOrFile) ? Path.Combine(checkpointDirOrFile, Checkpoints.EvalDetailsFile) : checkpointDirOrFile;
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        string[] labels = doc.RootElement.GetProperty("label_list").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
        long[][] rows = doc.RootElement.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var matrix = new long[labels.Length, labels.Length];
        if (rows.Length != labels.Length || rows.Any(r => r.Length != labels.Length))
        {
            throw new InvalidDataException($"{path}: the confusion matrix does not match the {labels.Length} labels");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < labels.Length; j++)
            {
                matrix[i, j] = rows[i][j];
            }
        }

        return new SegmentationMetrics(labels, matrix);
    }

    /// <summary>True when an <c>eval_details.json</c> holds a segmentation confusion matrix.</summary>
    public static bool IsSegmentationDetails(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("confusion_matrix", out _);
    }
}
