using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Detection.Metrics;
using PaddleX.Cloud.Vision.Metrics;
using PaddleX.Cloud.Vision.Training;
using SkiaSharp;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Evaluates a task's checkpoint (docs/api-behaviour.md §6) offline from the checkpoint's own
/// <c>eval_details.json</c> (validation scores the engine computed with that checkpoint's weights and
/// preprocessing). Writes <c>eval_res.json</c> and <c>confusion_matrix.png</c> into the task folder.</summary>
public sealed class EvaluateJobHandler(IMetadataStore metadata, IArtifactStore artifacts, ILogger<EvaluateJobHandler> logger)
    : TaskJobHandler(metadata, TaskJobTarget.Evaluate(metadata), logger)
{
    public const string ResultFile = "eval_res.json";
    public const string ConfusionPng = "confusion_matrix.png";

    protected override async ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters)
    {
        var message = context.Message;
        var epoch = Epoch(parameters);
        var topK = parameters["topk"] is JsonValue k && k.TryGetValue<int>(out var kk) ? kk : 5;
        try
        {
            var checkpointDir = await artifacts.MaterializeAsync(CheckpointPath(task, epoch), context.Cancellation);
            var details = Path.Combine(checkpointDir, Checkpoints.EvalDetailsFile);
            if (!File.Exists(details))
            {
                throw new InvalidDataException($"{Path.GetFileName(checkpointDir)}下没有评估数据{Checkpoints.EvalDetailsFile} (the checkpoint has no validation details)");
            }

            var result = DetectionEvalDetails.IsDetectionDetails(details)
                ? BuildDetection(details, Threshold(parameters, "score_thresh", 0.5), Threshold(parameters, "overlap_thresh", 0.3), epoch)
                : SegmentationMetrics.IsSegmentationDetails(details) ? BuildSegmentation(details, epoch) : Build(details, topK, epoch);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(result, new JsonSerializerOptions { WriteIndented = true });
            var png = RenderConfusion(result);
            await artifacts.WriteAsync($"{task.Path}/{ConfusionPng}", new MemoryStream(png), context.Cancellation);
            await artifacts.WriteAsync($"{task.Path}/{ResultFile}", new MemoryStream(bytes), context.Cancellation);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            await FailAsync(task, message, failure);
            return;
        }

        await States.SetAsync(task.Id, message.JobId, (int)Contracts.TaskStatus.XEVALUATED, "\n", finished: true);
    }

    /// <summary>The §7.4 classification report as JSON, plus <c>epoch</c> (the requested one, may be null).</summary>
    public static JsonObject Build(string evalDetailsPath, int topK, int? epoch)
    {
        var report = ClassificationEvaluation.FromEvalDetails(evalDetailsPath, topK);
        var auc = OneVsRestAuc(evalDetailsPath, report.Labels.Count);
        var prf = new JsonObject();
        for (var i = 0; i < report.Labels.Count; i++)
        {
            var v = report.Prf1[report.Labels[i]];
            prf[report.Labels[i]] = new JsonObject { ["precision"] = v.Precision, ["recall"] = v.Recall, ["F1"] = v.F1, ["auc"] = auc[i] };
        }

        return new JsonObject
        {
            ["Confusion_Matrix"] = new JsonArray(report.ConfusionMatrix.Select(r => (JsonNode?)new JsonArray(r.Select(x => (JsonNode?)x).ToArray())).ToArray()),
            ["PRF1"] = prf,
            ["PRF1_average"] = new JsonObject { ["over_all"] = new JsonObject { ["precision"] = report.Prf1Average.Precision, ["recall"] = report.Prf1Average.Recall, ["F1"] = report.Prf1Average.F1 } },
            ["Acc1"] = report.Acc1,
            ["Acck"] = report.AccK,
            ["topk"] = report.TopK,
            ["label_list"] = new JsonArray(report.Labels.Select(l => (JsonNode?)l).ToArray()),
            ["epoch"] = epoch,
        };
    }

    /// <summary>The §7.4 segmentation report: pixel confusion matrix, mean IoU (a class with an empty union
    /// counts as 0, as in training), overall pixel accuracy, per-class precision/recall/IoU (−1 when undefined).</summary>
    public static JsonObject BuildSegmentation(string evalDetailsPath, int? epoch)
    {
        var metrics = SegmentationMetrics.FromEvalDetails(evalDetailsPath);
        var perClass = metrics.PerClass();
        var priou = new JsonObject();
        for (var i = 0; i < metrics.Classes; i++)
        {
            priou[metrics.Labels[i]] = new JsonObject { ["precision"] = perClass[i].Precision, ["recall"] = perClass[i].Recall, ["iou"] = perClass[i].IoU };
        }

        return new JsonObject
        {
            ["Confusion_Matrix"] = new JsonArray(metrics.Rows().Select(r => (JsonNode?)new JsonArray(r.Select(x => (JsonNode?)x).ToArray())).ToArray()),
            ["Mean_IoU"] = metrics.MeanIoU(),
            ["Mean_Acc"] = metrics.OverallAcc(),
            ["PRIoU"] = priou,
            ["label_list"] = new JsonArray(metrics.Labels.Select(l => (JsonNode?)l).ToArray()),
            ["epoch"] = epoch,
        };
    }

    private static double Threshold(JsonObject parameters, string name, double fallback) =>
        parameters[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : fallback;

    /// <summary>The §7.4 detection report (<c>Confusion_Matrix</c>, <c>mAP</c>, <c>PRAP</c>) or, when the details hold
    /// mask results, the instance-segmentation one (<c>BBox_…</c> and <c>Mask_…</c>); <c>label_list</c> ends with
    /// the background class.</summary>
    public static JsonObject BuildDetection(string evalDetailsPath, double scoreThreshold, double overlapThreshold, int? epoch)
    {
        var details = DetectionEvalDetails.Load(evalDetailsPath);
        var labels = details.GroundTruth.Categories.Select(c => c.Name).Append(DetectionEvaluation.Background).ToList();
        var result = new JsonObject();
        if (details.Masks is null)
        {
            AddPart(result, string.Empty, DetectionEvaluation.Detection(details, scoreThreshold, overlapThreshold), labels);
        }
        else
        {
            var (boxes, masks) = DetectionEvaluation.InstanceSegmentation(details, scoreThreshold, overlapThreshold);
            AddPart(result, "BBox_", boxes, labels);
            AddPart(result, "Mask_", masks, labels);
        }

        result["label_list"] = new JsonArray(labels.Select(l => (JsonNode?)l).ToArray());
        result["epoch"] = epoch;
        return result;
    }

    private static void AddPart(JsonObject result, string prefix, DetectionReportPart part, IReadOnlyList<string> labels)
    {
        var n = part.Confusion.GetLength(0);
        result[prefix + "Confusion_Matrix"] = new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode?)new JsonArray(Enumerable.Range(0, n).Select(j => (JsonNode?)part.Confusion[i, j]).ToArray())).ToArray());
        result[prefix + "mAP"] = part.Map;
        var prap = new JsonObject();
        for (var c = 0; c < part.Classes.Count; c++)
        {
            prap[labels[c]] = new JsonObject { ["precision"] = part.Classes[c].Precision, ["recall"] = part.Classes[c].Recall, ["AP"] = part.Classes[c].Ap };
        }

        result[prefix + "PRAP"] = prap;
    }

    /// <summary>Per-class one-vs-rest ROC AUC (Mann–Whitney, ties count half); −1 when a class has no
    /// positive or no negative sample.</summary>
    public static double[] OneVsRestAuc(string evalDetailsPath, int classes)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(evalDetailsPath));
        var truth = doc.RootElement.GetProperty("true_labels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var scores = doc.RootElement.GetProperty("pred_scores").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        var auc = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            var pos = new List<double>();
            var neg = new List<double>();
            for (var i = 0; i < truth.Length; i++)
            {
                (truth[i] == c ? pos : neg).Add(scores[i][c]);
            }

            if (pos.Count == 0 || neg.Count == 0)
            {
                auc[c] = -1;
                continue;
            }

            double wins = 0;
            foreach (var p in pos)
            {
                foreach (var q in neg)
                {
                    wins += p > q ? 1 : p == q ? 0.5 : 0;
                }
            }

            auc[c] = wins / ((double)pos.Count * neg.Count);
        }

        return auc;
    }

    private static readonly Lazy<SKTypeface> Font = new(() =>
    {
        var assembly = typeof(PaddleX.Cloud.Datasets.Rendering.AnnotationRenderer).Assembly;
        using var stream = assembly.GetManifestResourceStream("PaddleX.Cloud.Datasets.DejaVuSans.ttf");
        return (stream is null ? null : SKTypeface.FromStream(stream)) ?? SKTypeface.Default;
    });

    /// <summary>The confusion matrix as a PNG heat map (rows true, columns predicted) with counts.</summary>
    public static byte[] RenderConfusion(JsonObject result)
    {
        var labels = result["label_list"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
        // Instance segmentation shows the mask matrix: masks are what that task type is about.
        var matrix = (result["Confusion_Matrix"] ?? result["Mask_Confusion_Matrix"])!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();
        var n = labels.Length;
        const int cell = 48, margin = 140, top = 40;
        var size = margin + (n * cell) + 20;
        using var surface = SKSurface.Create(new SKImageInfo(size, size + top - 20, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(Font.Value, 12);
        using var paint = new SKPaint { IsAntialias = true };
        var max = Math.Max(1, matrix.SelectMany(r => r).DefaultIfEmpty(0).Max());
        canvas.DrawText("Confusion matrix (rows: true, columns: predicted)", 10, 20, font, paint);
        for (var i = 0; i < n; i++)
        {
            paint.Color = SKColors.Black;
            canvas.DrawText(Truncate(labels[i]), 10, top + margin - 100 + (i * cell) + (cell / 2) + 4, font, paint);
            canvas.Save();
            canvas.Translate(margin + (i * cell) + (cell / 2) + 4, top + margin - 104);
            canvas.RotateDegrees(-60);
            canvas.DrawText(Truncate(labels[i]), 0, 0, font, paint);
            canvas.Restore();
            for (var j = 0; j < n; j++)
            {
                var shade = (byte)(255 - (200 * matrix[i][j] / max));
                paint.Color = new SKColor(shade, shade, 255);
                var rect = SKRect.Create(margin + (j * cell), top + margin - 100 + (i * cell), cell, cell);
                canvas.DrawRect(rect, paint);
                paint.Color = shade < 140 ? SKColors.White : SKColors.Black;
                canvas.DrawText(matrix[i][j].ToString(System.Globalization.CultureInfo.InvariantCulture), rect.MidX, rect.MidY + 4, SKTextAlign.Center, font, paint);
            }
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static string Truncate(string s) => s.Length > 16 ? s[..15] + "…" : s;
}
