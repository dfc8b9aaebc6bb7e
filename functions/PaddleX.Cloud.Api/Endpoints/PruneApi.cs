using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/prune: the sensitivity analysis of a trained model (start or continue, status, stop),
/// and what <c>/project/task/metrics</c> shows of it (<c>type=prune</c>, <c>type=sensitivities</c>).</summary>
public static class PruneApi
{
    /// <summary>The task's analysis folder: out.log, sensitivities.json, sensitivities.png.</summary>
    public const string Folder = "prune";
    public const string SensitivitiesFile = "sensitivities.json";
    public const string PlotFile = "sensitivities.png";

    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/prune", "ProjectTaskPrune", m => m
            .Post(StartAsync, "Start the sensitivity analysis of the trained model for pruning (a job; a stopped analysis continues where it stopped)", "tid:string")
            .Get(StatusAsync, "Sensitivity analysis status", "tid:string")
            .Put(StopAsync, "Stop the sensitivity analysis", "tid:string", "act:string=stop"));

    private static async ValueTask<IResult> StartAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        if (!await call.Services.Artifacts.ExistsAsync($"{task.Path}/output/best_model/.success", call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, "该任务暂未保存模型，无法进行模型裁剪分析");
        }

        var parameters = TrainingParams.Parse(task.ParamsJson)
            ?? throw new ApiException(ErrorCodes.InvalidState, $"任务无法启动，路径{call.Services.Artifacts.ToDisplayPath(task.Path)}下不存在参数配置文件params.pkl");
        if (parameters["model"]?.GetValue<string>() is "FasterRCNN" or "MaskRCNN")
        {
            throw new ApiException(ErrorCodes.InvalidState, "暂不支持FasterRCNN、MaskRCNN模型裁剪");
        }

        var message = await TaskJobs.StartAsync(call, task, JobKinds.Prune, (int)PruneStatus.XSPRUNEING, mirror: false);
        // The task's own status says a prune analysis was the last operation (a TaskStatus, not a PruneStatus).
        await call.Services.Metadata.Tasks.UpdateAsync(
            task.Id,
            t => t.State = new JobState { Status = (int)Contracts.TaskStatus.XPRUNEING, Message = "\n", JobId = message.JobId, UpdatedTime = t.Jobs[JobKinds.Prune].UpdatedTime },
            call.Cancellation);
        return JsonReply.Ok();
    }

    private static async ValueTask<IResult> StatusAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        return task.Jobs.TryGetValue(JobKinds.Prune, out var job)
            ? JsonReply.Ok(new JsonObject { ["prune_status"] = job.Status, ["message"] = job.Message })
            : JsonReply.Ok(new JsonObject { ["prune_status"] = null, ["message"] = string.Empty });
    }

    private static async ValueTask<IResult> StopAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        await call.TaskAsync(tid);
        if (call.Args.RequireString("act") is var act && act != "stop")
        {
            throw ApiException.Invalid($"act只能为stop (unknown act '{act}')");
        }

        return await TaskJobs.StopAsync(call, tid, JobKinds.Prune, (int)PruneStatus.XSPRUNEEXIT, "\n", mirror: false)
            ? JsonReply.Ok()
            : throw new ApiException(ErrorCodes.InvalidState, "模型裁剪分析任务未在运行中");
    }

    /// <summary>The <c>prune_log</c> of <c>metrics?type=prune</c>: null before the analysis wrote its log; else the
    /// values of its newest <c>Total evaluate iters</c> line (strings, as the original parses them).</summary>
    public static async ValueTask<JsonObject?> PruneLogAsync(ApiCall call, TaskInfo task)
    {
        var path = $"{task.Path}/{Folder}/out.log";
        if (!await call.Services.Artifacts.ExistsAsync(path, call.Cancellation))
        {
            return null;
        }

        string text;
        await using (var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync(call.Cancellation);
        }

        var log = new JsonObject { ["log_file"] = call.Services.Artifacts.ToDisplayPath(path), ["eta"] = null, ["iters"] = null, ["current"] = null, ["progress"] = null };
        var line = text.Split('\n').LastOrDefault(l => l.Contains("Total evaluate iters", StringComparison.Ordinal));
        foreach (var piece in line?.Split(',') ?? [])
        {
            var token = piece.Trim().Split(' ', '\t')[^1];
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && token[..eq] is "eta" or "iters" or "current" or "progress")
            {
                log[token[..eq]] = token[(eq + 1)..].Trim();
            }
        }

        return log;
    }

    /// <summary><c>metrics?type=sensitivities</c>: the plot (base64 PNG) and the data behind it, once an analysis finished.</summary>
    public static async ValueTask<IResult> SensitivitiesAsync(ApiCall call, TaskInfo task)
    {
        var folder = $"{task.Path}/{Folder}";
        var data = await ReadSensitivitiesAsync(call, task);
        if (data?["complete"]?.GetValue<bool>() != true || !await call.Services.Artifacts.ExistsAsync($"{folder}/{PlotFile}", call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"任务{task.Id}尚未完成模型裁剪分析 (no finished sensitivity analysis)");
        }

        using var png = new MemoryStream();
        await using (var stream = await call.Services.Artifacts.OpenReadAsync($"{folder}/{PlotFile}", call.Cancellation))
        {
            await stream.CopyToAsync(png, call.Cancellation);
        }

        return JsonReply.Ok(new JsonObject { ["sensitivities_loss_img"] = Convert.ToBase64String(png.ToArray()), ["sensitivities"] = data });
    }

    /// <summary>A task's sensitivities.json, or null when there is none (or it cannot be read).</summary>
    public static async ValueTask<JsonObject?> ReadSensitivitiesAsync(ApiCall call, TaskInfo task)
    {
        var path = $"{task.Path}/{Folder}/{SensitivitiesFile}";
        if (!await call.Services.Artifacts.ExistsAsync(path, call.Cancellation))
        {
            return null;
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation);
        try
        {
            return await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
