using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/predict (docs/api-behaviour.md §6): start, progress, stop.</summary>
public static class PredictApi
{
    public const string ResultsFolder = "visualized_test_results";

    /// <summary>Largest accepted upload (the decoded picture).</summary>
    public const int MaxImageBytes = 20 * 1024 * 1024;

    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/predict", "ProjectTaskPredict", m => m
            .Post(StartAsync, "Predict a base64 picture, a list of workspace pictures, or the test split (a job)", "tid:string", "image_data?:string", "img_list?:array", "epoch?:integer", "score_thresh?:number")
            .Get(StatusAsync, "Prediction status and the drawn results", "tid:string")
            .Put(StopAsync, "Stop a prediction", "tid:string"), maxBodyBytes: 32L * 1024 * 1024);

    private static async ValueTask<IResult> StartAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        if (TrainingParams.Parse(task.ParamsJson) is null)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"路径{call.Services.Artifacts.ToDisplayPath(task.Path)}下不存在参数配置文件params.pkl");
        }

        var epoch = call.Args.Int("epoch");
        var checkpoint = epoch is null ? "best_model" : $"epoch_{epoch}";
        if (!await call.Services.Artifacts.ExistsAsync($"{task.Path}/output/{checkpoint}/.success", call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"未在训练路径{call.Services.Artifacts.ToDisplayPath($"{task.Path}/output")}下发现保存的{checkpoint}，无法进行预测");
        }

        var parameters = new JsonObject { ["epoch"] = epoch, ["score_thresh"] = call.Args.Double("score_thresh") ?? 0.5 };
        byte[]? image = null;
        if (call.Args.String("image_data", int.MaxValue) is { Length: > 0 } data)
        {
            var comma = data.StartsWith("data:", StringComparison.Ordinal) ? data.IndexOf(',', StringComparison.Ordinal) : -1;
            try
            {
                image = Convert.FromBase64String(data[(comma + 1)..]);
            }
            catch (FormatException)
            {
                throw ApiException.Invalid("image_data不是有效的base64编码 (image_data is not valid base64)");
            }

            if (image.Length == 0 || image.Length > MaxImageBytes)
            {
                throw ApiException.Invalid("image_data为空或过大 (image_data is empty or too large)");
            }

            parameters["mode"] = "image";
        }
        else if (call.Args.StringList("img_list") is { Count: > 0 } list)
        {
            var resolved = new JsonArray();
            foreach (var item in list)
            {
                if (!call.Services.Artifacts.TryResolve(item, out var relative) || relative.Length == 0)
                {
                    throw new ApiException(ErrorCodes.PathNotAllowed, $"图片路径{item}不在工作空间内 (img_list path outside the workspace)");
                }

                if (!await call.Services.Artifacts.ExistsAsync(relative, call.Cancellation))
                {
                    throw new ApiException(ErrorCodes.FileNotFound, $"图片{item}不存在");
                }

                resolved.Add(relative);
            }

            parameters["mode"] = "list";
            parameters["img_list"] = resolved;
        }
        else
        {
            parameters["mode"] = "test";
        }

        if (task.Jobs.TryGetValue(JobKinds.Predict, out var current) && JobControl.IsRunning(current))
        {
            throw new ApiException(ErrorCodes.JobRunning, $"任务{task.Id}的predict操作正在进行中，请等待完成或先停止 (a predict job of {task.Id} is already running)");
        }

        await call.Services.Artifacts.DeleteAsync($"{task.Path}/logs/predict", call.Cancellation);
        await call.Services.Artifacts.DeleteAsync($"{task.Path}/{ResultsFolder}", call.Cancellation);
        if (image is not null)
        {
            await call.Services.Artifacts.WriteAsync($"{task.Path}/logs/predict/input.img", new MemoryStream(image), call.Cancellation);
        }

        await TaskJobs.StartAsync(call, task, JobKinds.Predict, (int)PredictStatus.XPRESTART, parameters.ToJsonString(), mirror: false);
        var reply = new JsonObject();
        if (!call.Args.Has("img_list"))
        {
            reply["path"] = image is null ? null : call.Services.Artifacts.ToDisplayPath($"{task.Path}/{ResultsFolder}/predict_result.png");
        }

        return JsonReply.Ok(reply);
    }

    private static async ValueTask<IResult> StatusAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        return JsonReply.Ok(await StateAsync(call, task));
    }

    private static async ValueTask<IResult> StopAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        await call.TaskAsync(tid);
        await TaskJobs.StopAsync(call, tid, JobKinds.Predict, (int)PredictStatus.XPREFAIL, "图片预测进程已停止！", mirror: false);
        return JsonReply.Ok(await StateAsync(call, await call.TaskAsync(tid)));
    }

    private static async ValueTask<JsonObject> StateAsync(ApiCall call, TaskInfo task)
    {
        if (!task.Jobs.TryGetValue(JobKinds.Predict, out var job))
        {
            return new JsonObject { ["predict_status"] = null, ["message"] = null, ["predict_num"] = 0, ["total_num"] = 0 };
        }

        var results = await call.Services.Artifacts.ListAsync($"{task.Path}/{ResultsFolder}", call.Cancellation);
        var predicted = results.Count(r => r.Path.EndsWith(".png", StringComparison.OrdinalIgnoreCase));
        var total = predicted == 1 && await call.Services.Artifacts.ExistsAsync($"{task.Path}/{ResultsFolder}/predict_result.png", call.Cancellation) ? 1 : 0;
        var totalFile = $"{task.Path}/logs/predict/total_num";
        if (total == 0 && await call.Services.Artifacts.ExistsAsync(totalFile, call.Cancellation))
        {
            await using var stream = await call.Services.Artifacts.OpenReadAsync(totalFile, call.Cancellation);
            using var reader = new StreamReader(stream);
            _ = int.TryParse((await reader.ReadToEndAsync(call.Cancellation)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out total);
        }

        var message = job.Status == (int)PredictStatus.XPREFAIL ? job.Message.Trim() : job.Message == "\n" ? string.Empty : job.Message;
        return new JsonObject { ["predict_status"] = job.Status, ["message"] = message, ["predict_num"] = predicted, ["total_num"] = total };
    }
}
