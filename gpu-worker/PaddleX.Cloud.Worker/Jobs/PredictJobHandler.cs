using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Data;
using PaddleX.Cloud.Vision.Inference;
using SkiaSharp;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>Predicts pictures with a task's checkpoint (docs/api-behaviour.md §6): the uploaded picture
/// (<c>predict_result.png</c>), a list of workspace pictures, or the dataset's test split (with the
/// true label beside the prediction). One visualised PNG per input in <c>visualized_test_results/</c>.</summary>
public sealed class PredictJobHandler(IMetadataStore metadata, IArtifactStore artifacts, ILogger<PredictJobHandler> logger)
    : TaskJobHandler(metadata, TaskJobTarget.Predict(metadata), logger)
{
    public const string ResultsFolder = "visualized_test_results";
    public const string UploadFile = "logs/predict/input.img";
    public const string TotalNumFile = "logs/predict/total_num";

    /// <summary>Machine-readable results: classification [{image, label, score, true_label}];
    /// segmentation [{image, pixels: {label: count}, width, height}]; detection [{image, boxes: [{category,
    /// category_id, score, bbox [x, y, w, h]}], width, height}]; instance segmentation as detection, each box with
    /// its mask as COCO RLE (<c>segmentation</c> {size [h, w], counts}) and its pixel <c>area</c>.</summary>
    public const string ResultsJson = "logs/predict/results.json";

    protected override async ValueTask RunAsync(JobContext context, TaskInfo task, JsonObject parameters)
    {
        var message = context.Message;
        var epoch = Epoch(parameters);
        var mode = parameters["mode"]?.GetValue<string>() ?? "test";
        try
        {
            var taskDir = await artifacts.MaterializeAsync(task.Path, context.Cancellation);
            var checkpointDir = Path.Combine(taskDir, "output", epoch is null ? "best_model" : $"epoch_{epoch}");
            var outDir = Path.Combine(taskDir, ResultsFolder);
            Directory.CreateDirectory(outDir);
            Directory.CreateDirectory(Path.Combine(taskDir, "logs", "predict"));
            var scoreThreshold = parameters["score_thresh"]?.GetValue<double>() ?? 0.5;
            using var model = await Task.Run(() => IPictureModel.Open(checkpointDir, scoreThreshold), context.Cancellation);
            var inputs = new List<(string Source, string Output, object? Truth)>();
            switch (mode)
            {
                case "image":
                    inputs.Add((Path.Combine(taskDir, UploadFile), "predict_result.png", null));
                    break;
                case "list":
                    foreach (var item in parameters["img_list"]?.AsArray() ?? [])
                    {
                        var relative = item!.GetValue<string>();
                        var local = await artifacts.MaterializeAsync(Path.GetDirectoryName(relative)!.Replace('\\', '/'), context.Cancellation);
                        inputs.Add((Path.Combine(local, Path.GetFileName(relative)), model.OutputName(relative), null));
                    }

                    break;
                default:
                    var project = await Metadata.Projects.GetAsync(task.Pid, context.Cancellation) ?? throw new InvalidDataException($"project {task.Pid} no longer exists");
                    var dataset = await Metadata.Datasets.GetAsync(project.Did, context.Cancellation) ?? throw new InvalidDataException($"dataset {project.Did} no longer exists");
                    var datasetDir = await artifacts.MaterializeAsync(dataset.Path, context.Cancellation);
                    inputs.AddRange(model.TestInputs(datasetDir)
                        ?? throw new InvalidDataException("数据集没有测试集test_list.txt，请指定img_list或image_data (the dataset has no test split)"));
                    break;
            }

            if (mode != "image")
            {
                await File.WriteAllTextAsync(Path.Combine(taskDir, TotalNumFile), inputs.Count.ToString(CultureInfo.InvariantCulture), context.Cancellation);
            }

            await States.SetAsync(task.Id, message.JobId, (int)PredictStatus.XPRESTART, "\n");
            var failed = new List<string>();
            var predictions = new JsonArray();
            foreach (var (source, output, truth) in inputs)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                byte[] png;
                JsonObject result;
                try
                {
                    (png, result) = model.Predict(source, truth);
                }
                catch (InvalidDataException)
                {
                    failed.Add(Path.GetFileName(source));
                    continue;
                }

                result.Insert(0, "image", output);
                predictions.Add(result);
                await File.WriteAllBytesAsync(Path.Combine(outDir, output), png, context.Cancellation);
            }

            await File.WriteAllTextAsync(Path.Combine(taskDir, ResultsJson), predictions.ToJsonString(), CancellationToken.None);
            await artifacts.PublishAsync(taskDir, task.Path, CancellationToken.None);
            if (failed.Count == inputs.Count)
            {
                throw new InvalidDataException($"无法解码图片: {string.Join(", ", failed.Take(5))} (the picture cannot be decoded)");
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            await FailAsync(task, message, failure);
            return;
        }
        catch (OperationCanceledException) when (!context.IsShuttingDown())
        {
            await States.SetAsync(task.Id, message.JobId, (int)PredictStatus.XPREFAIL, "图片预测进程已停止！", finished: true);
            return;
        }

        await States.SetAsync(task.Id, message.JobId, (int)PredictStatus.XPREDONE, "\n", finished: true);
    }

    /// <summary>Output name of a listed picture: <c>&lt;parent folder&gt;_&lt;stem&gt;.png</c>.</summary>
    public static string OutputName(string path)
    {
        var parent = Path.GetFileName(Path.GetDirectoryName(path.Replace('\\', '/')) ?? string.Empty);
        var stem = Path.GetFileNameWithoutExtension(path);
        return parent.Length > 0 ? $"{parent}_{stem}.png" : $"{stem}.png";
    }
}

/// <summary>Draws a prediction: the picture (long side 400 px), then the top-k labels with scores, and
/// the true label when known (green when it matches the top-1, red otherwise).</summary>
public static class PredictionRenderer
{
    private static readonly Lazy<SKTypeface> Font = new(() =>
    {
        var assembly = typeof(PaddleX.Cloud.Datasets.Rendering.AnnotationRenderer).Assembly;
        using var stream = assembly.GetManifestResourceStream("PaddleX.Cloud.Datasets.DejaVuSans.ttf");
        return (stream is null ? null : SKTypeface.FromStream(stream)) ?? SKTypeface.Default;
    });

    public static byte[] Render(SKBitmap picture, IReadOnlyList<string> labels, float[] scores, int? truth, int topK = 5)
    {
        var top = ClassificationPredictor.TopK(scores, Math.Min(topK, labels.Count));
        var scale = 400f / Math.Max(picture.Width, picture.Height);
        var w = Math.Max(1, (int)(picture.Width * scale));
        var h = Math.Max(1, (int)(picture.Height * scale));
        const int panel = 260;
        var height = Math.Max(h, 40 + (22 * (top.Length + 3)));
        using var surface = SKSurface.Create(new SKImageInfo(w + panel, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var image = SKImage.FromBitmap(picture))
        {
            canvas.DrawImage(image, SKRect.Create(0, 0, w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        }

        using var font = new SKFont(Font.Value, 15);
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        float x = w + 12, y = 24;
        canvas.DrawText("Prediction (top-k):", x, y, font, paint);
        foreach (var (index, score) in top)
        {
            y += 22;
            paint.Color = index == top[0].Index ? SKColors.DarkBlue : SKColors.Black;
            canvas.DrawText($"{labels[index]}: {score.ToString("F4", CultureInfo.InvariantCulture)}", x, y, font, paint);
        }

        if (truth is int t && t >= 0 && t < labels.Count)
        {
            y += 34;
            paint.Color = t == top[0].Index ? SKColors.DarkGreen : SKColors.Red;
            canvas.DrawText($"Ground truth: {labels[t]}", x, y, font, paint);
        }

        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
