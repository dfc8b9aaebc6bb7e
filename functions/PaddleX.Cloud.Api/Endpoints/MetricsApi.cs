using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Training;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/metrics: live training metrics parsed from the task's log, and the
/// validation results of saved checkpoints.</summary>
public static partial class MetricsApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/metrics", "ProjectTaskMetrics", m => m.Get(GetAsync, "Training log, best or all evaluation metrics, the per-epoch history, the prune analysis progress or its sensitivity plot", "tid:string", "type:string=train|eval|eval_all|history|prune|sensitivities"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        return call.Args.RequireString("type") switch
        {
            "train" => JsonReply.Ok(new JsonObject { ["train_log"] = await TrainLogAsync(call, task) }),
            "eval" => await BestEvalAsync(call, task),
            "eval_all" => await AllEvalsAsync(call, task),
            "history" => await HistoryAsync(call, task),
            "prune" => JsonReply.Ok(new JsonObject { ["prune_log"] = await PruneApi.PruneLogAsync(call, task) }),
            "sensitivities" => await PruneApi.SensitivitiesAsync(call, task),
            var other => throw ApiException.Invalid($"type只能为train, eval, eval_all, prune, sensitivities或history (unknown type '{other}')"),
        };
    }

    /// <summary>The <c>train_log</c> object of docs/api-behaviour.md §6, all null/false before the log exists.</summary>
    private static async ValueTask<JsonObject> TrainLogAsync(ApiCall call, TaskInfo task)
    {
        var path = $"{task.Path}/out.log";
        var lines = await ReadLinesAsync(call, path);
        var log = lines is null ? new TrainLog() : TrainLogParser.Parse(lines.Value.Lines, lines.Value.Modified, lines.Value.Started);
        return new JsonObject
        {
            ["log_file"] = lines is null ? null : call.Services.Artifacts.ToDisplayPath(path),
            ["eta"] = log.Eta,
            ["train_metrics"] = Metrics(log.TrainMetrics),
            ["eval_metrics"] = Metrics(log.EvalMetrics),
            ["download_status"] = log.DownloadStatus switch
            {
                DownloadProgress p => new JsonObject { ["speed"] = p.Speed, ["download"] = p.Download, ["total"] = p.Total },
                string s => s,
                _ => null,
            },
            ["eval_done"] = log.EvalDone,
            ["train_error"] = log.TrainError,
            ["train_stage"] = log.TrainStage,
            ["running_duration"] = log.RunningDuration,
        };
    }

    /// <summary>The best checkpoint's validation metrics, under both keys (docs/api-behaviour.md §1).</summary>
    private static async ValueTask<IResult> BestEvalAsync(ApiCall call, TaskInfo task)
    {
        var metrics = await CheckpointMetricsAsync(call, $"{task.Path}/output/best_model")
            ?? throw new ApiException(ErrorCodes.InvalidState, $"任务{task.Id}还没有保存best_model (no best model saved yet)");
        return JsonReply.Ok(new JsonObject { ["eval_metric"] = metrics.DeepClone(), ["eval_metrics"] = metrics });
    }

    private static async ValueTask<IResult> AllEvalsAsync(ApiCall call, TaskInfo task)
    {
        var results = new SortedDictionary<int, JsonObject>();
        var prefix = $"{task.Path}/output/";
        foreach (var entry in await call.Services.Artifacts.ListAsync(prefix, call.Cancellation))
        {
            var parts = entry.Path[prefix.Length..].Split('/');
            if (parts is [var folder, ".success"] && folder.StartsWith("epoch_", StringComparison.Ordinal)
                && int.TryParse(folder["epoch_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                && await CheckpointMetricsAsync(call, prefix + folder) is { Count: > 0 } metrics)
            {
                results[epoch] = metrics;
            }
        }

        if (results.Count == 0)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"任务{task.Id}还没有保存任何轮次的模型 (no checkpoint saved yet)");
        }

        var key = results.First().Value.First().Key;
        var byEpoch = new JsonObject();
        var best = (Epoch: -1, Value: double.NegativeInfinity);
        foreach (var (epoch, metrics) in results)
        {
            var value = metrics[key]?.GetValue<double>() ?? double.NaN;
            byEpoch[epoch.ToString(CultureInfo.InvariantCulture)] = value;
            if (value > best.Value)
            {
                best = (epoch, value);
            }
        }

        return JsonReply.Ok(new JsonObject { ["key"] = key, ["epoch_result_dict"] = byEpoch, ["best_epoch"] = best.Epoch, ["best_result"] = best.Value });
    }

    /// <summary>Every logged step and evaluated epoch, for the dashboard's charts.</summary>
    private static async ValueTask<IResult> HistoryAsync(ApiCall call, TaskInfo task)
    {
        var lines = await ReadLinesAsync(call, $"{task.Path}/out.log");
        var steps = new JsonArray();
        var epochs = new JsonArray();
        foreach (var line in lines?.Lines ?? [])
        {
            var values = KeyValue().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            if (line.Contains("[TRAIN]", StringComparison.Ordinal) && values.TryGetValue("Epoch", out var e) && values.TryGetValue("Step", out var s))
            {
                var (epoch, _) = Fraction(e);
                var (step, perEpoch) = Fraction(s);
                var metrics = new JsonObject();
                foreach (var (name, text) in values.Where(v => v.Key.StartsWith("acc", StringComparison.Ordinal)))
                {
                    metrics[name] = Number(text);
                }

                steps.Add(new JsonObject
                {
                    ["step"] = ((epoch - 1) * perEpoch) + step,
                    ["epoch"] = epoch,
                    ["loss"] = Number(values.GetValueOrDefault("loss")),
                    ["lr"] = Number(values.GetValueOrDefault("lr")),
                    ["metrics"] = metrics,
                });
            }
            else if (line.Contains("[EVAL]", StringComparison.Ordinal) && line.Contains("Finished", StringComparison.Ordinal) && values.TryGetValue("Epoch", out var ev))
            {
                var metrics = new JsonObject();
                foreach (var (name, text) in values.Where(v => v.Key != "Epoch"))
                {
                    metrics[name] = Number(text);
                }

                epochs.Add(new JsonObject { ["epoch"] = Fraction(ev).Value, ["metrics"] = metrics });
            }
        }

        var status = (Contracts.TaskStatus)(task.State?.Status ?? 1);
        return JsonReply.Ok(new JsonObject { ["stage"] = status.ToString(), ["steps"] = steps, ["epochs"] = epochs });
    }

    private static async ValueTask<JsonObject?> CheckpointMetricsAsync(ApiCall call, string folder)
    {
        var path = $"{folder}/trainer_state.json";
        if (!await call.Services.Artifacts.ExistsAsync($"{folder}/.success", call.Cancellation) || !await call.Services.Artifacts.ExistsAsync(path, call.Cancellation))
        {
            return null;
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation);
        try
        {
            return (await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation))?["metrics"]?.DeepClone() as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async ValueTask<(string[] Lines, DateTime Modified, DateTime Started)?> ReadLinesAsync(ApiCall call, string path)
    {
        var entry = (await call.Services.Artifacts.ListAsync(Path.GetDirectoryName(path)!.Replace('\\', '/'), call.Cancellation))
            .FirstOrDefault(e => e.Path == path);
        if (entry is null)
        {
            return null;
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(call.Cancellation);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var modified = entry.LastModified.LocalDateTime;
        return (lines, modified, modified);
    }

    private static JsonObject? Metrics(IReadOnlyDictionary<string, object>? values)
    {
        if (values is null)
        {
            return null;
        }

        var obj = new JsonObject();
        foreach (var (key, value) in values)
        {
            obj[key] = value switch
            {
                long l => l,
                int i => i,
                double d => d,
                _ => value.ToString(),
            };
        }

        return obj;
    }

    private static (int Value, int Total) Fraction(string text)
    {
        var parts = text.Split('/');
        var value = int.TryParse(parts[0], CultureInfo.InvariantCulture, out var v) ? v : 0;
        var total = parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var t) ? t : 0;
        return (value, total);
    }

    private static double? Number(string? text) =>
        double.TryParse(text?.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    [GeneratedRegex(@"(\w+)=([^,\s]+)")]
    private static partial Regex KeyValue();
}
