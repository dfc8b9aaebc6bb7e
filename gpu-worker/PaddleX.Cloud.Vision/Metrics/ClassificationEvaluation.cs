using System.Text.Json;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Vision.Metrics;

/// <summary>
/// Offline evaluation (docs/api-behaviour.md §6): the report is computed from the <c>eval_details.json</c> a checkpoint
/// folder holds (label list, true labels, per-class scores of the validation set); no new inference.
/// </summary>
public static class ClassificationEvaluation
{
    /// <summary>Builds the report of a checkpoint folder (or an eval_details.json path) with the requested top-k.</summary>
    public static ClassificationReport FromEvalDetails(string checkpointDirOrFile, int topK = 5)
    {
        string path = Directory.Exists(checkpointDirOrFile)
            ? Path.Combine(checkpointDirOrFile, Checkpoints.EvalDetailsFile)
            : checkpointDirOrFile;
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = doc.RootElement;
        string[] labels = root.GetProperty("label_list").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
        var metrics = new ClassificationMetrics(labels, topK);
        JsonElement[] truth = root.GetProperty("true_labels").EnumerateArray().ToArray();
        JsonElement[] scores = root.GetProperty("pred_scores").EnumerateArray().ToArray();
        if (truth.Length != scores.Length)
        {
            throw new InvalidDataException($"{path}: {truth.Length} labels but {scores.Length} score rows");
        }

        for (int i = 0; i < truth.Length; i++)
        {
            float[] row = scores[i].EnumerateArray().Select(e => e.GetSingle()).ToArray();
            metrics.Add(truth[i].GetInt32(), row);
        }

        return metrics.Report();
    }
}
