using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/train: start, stop and resume training.</summary>
public static class TrainApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/train", "ProjectTaskTrain", m => m
            .Post(StartAsync, "Start training (a job)", "tid:string", "eval_metric_loss?:number", "pruned_flops?:number")
            .Put(ControlAsync, "Stop training, or resume it from a saved epoch", "tid:string", "act:string=stop|resume", "epoch?:integer"));

    private static async ValueTask<IResult> StartAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        var parameters = new JsonObject();
        var prunedFlops = Share(call, "pruned_flops");
        var metricLoss = Share(call, "eval_metric_loss");
        if ((prunedFlops ?? metricLoss) is not null && task.ParentId.Length == 0)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"任务{task.Id}不是裁剪训练任务");
        }

        var pruned = task.ParentId.Length > 0;
        if (pruned)
        {
            // A child task is a pruned retraining; without either value a fifth of the FLOPs goes.
            await EnsurePrunableParentAsync(call, task);
            parameters["pruned_flops"] = prunedFlops ?? (metricLoss is null ? DefaultPrunedFlops : null);
            parameters["eval_metric_loss"] = metricLoss;
        }

        await EnsureTrainableAsync(call, task);
        await TaskJobs.StartAsync(call, task, JobKinds.Train, (int)(pruned ? Contracts.TaskStatus.XPRUNETRAIN : Contracts.TaskStatus.XTRAINING), parameters.ToJsonString());
        return JsonReply.Ok();
    }

    /// <summary>The share of FLOPs a child task removes when the request names neither pruned_flops nor eval_metric_loss.</summary>
    public const double DefaultPrunedFlops = 0.2;

    /// <summary>An optional fraction argument, strictly between 0 and 1.</summary>
    private static double? Share(ApiCall call, string key) => call.Args.Double(key) switch
    {
        null => null,
        > 0 and < 1 and var value => value,
        var value => throw ApiException.Invalid($"{key}必须大于0且小于1 ({key} must be in (0, 1), not {value})"),
    };

    /// <summary>The parent of a pruned retraining exists, has a best model and a finished sensitivity analysis.</summary>
    private static async ValueTask EnsurePrunableParentAsync(ApiCall call, TaskInfo task)
    {
        var parent = await call.TaskAsync(task.ParentId, $"裁剪训练的父任务'{task.ParentId}'不存在 (parent task not found)");
        if (!await call.Services.Artifacts.ExistsAsync($"{parent.Path}/output/best_model/.success", call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"父任务{parent.Id}暂未保存模型，无法进行裁剪训练 (the parent has no best model)");
        }

        if ((await PruneApi.ReadSensitivitiesAsync(call, parent))?["complete"]?.GetValue<bool>() != true)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"父任务{parent.Id}尚未完成模型裁剪分析，请先进行裁剪分析 (the parent has no finished sensitivity analysis)");
        }
    }

    private static async ValueTask<IResult> ControlAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        var task = await call.TaskAsync(tid);
        switch (call.Args.RequireString("act"))
        {
            case "stop":
                var hasBest = await call.Services.Artifacts.ExistsAsync($"{task.Path}/output/best_model/.success", call.Cancellation);
                var stopped = await TaskJobs.StopAsync(call, tid, JobKinds.Train, (int)Contracts.TaskStatus.XTRAINEXIT, hasBest ? "True" : "False");
                return stopped ? JsonReply.Ok() : throw new ApiException(ErrorCodes.InvalidState, "模型训练任务没在运行中");
            case "resume":
                var epoch = call.Args.RequireInt("epoch");
                if (!await call.Services.Artifacts.ExistsAsync($"{task.Path}/output/epoch_{epoch}/.success", call.Cancellation))
                {
                    var saved = await TaskApi.MaxSavedEpochAsync(call, task);
                    throw new ApiException(ErrorCodes.InvalidArgument, $"任务{tid}没有保存第{epoch}轮的模型，最大已保存轮数为{saved} (no checkpoint for epoch {epoch}; the newest is {saved})");
                }

                await EnsureTrainableAsync(call, task);
                var parameters = new JsonObject { ["resume_epoch"] = epoch };
                await TaskJobs.StartAsync(call, task, JobKinds.Train, (int)Contracts.TaskStatus.XTRAINING, parameters.ToJsonString());
                return JsonReply.Ok();
            case var other:
                throw ApiException.Invalid($"act只能为stop或resume (unknown act '{other}')");
        }
    }

    /// <summary>The task has parameters and its project's dataset is imported and split.</summary>
    private static async ValueTask EnsureTrainableAsync(ApiCall call, TaskInfo task)
    {
        if (TrainingParams.Parse(task.ParamsJson) is null)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"任务无法启动，路径{call.Services.Artifacts.ToDisplayPath(task.Path)}下不存在参数配置文件params.pkl");
        }

        PretrainWeightsRule.Check(call, task.ParamsJson);

        var project = await call.ProjectAsync(task.Pid);
        var dataset = await call.DatasetAsync(project.Did, $"数据集ID'{project.Did}'不存在");
        var status = Views.DatasetStatusOf(dataset);
        if (status != (int)DatasetStatus.XSPLITED)
        {
            throw new ApiException(ErrorCodes.InvalidState, $"数据集{dataset.Id}尚未切分，请先导入并切分数据集 (dataset {dataset.Id} is not split yet; status {((DatasetStatus)status).ToString()})");
        }
    }
}
