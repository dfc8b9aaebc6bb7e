using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Params;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Datasets;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/params: a task's stored training parameters.</summary>
public static class TaskParamsApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/params", "ProjectTaskParams", m => m
            .Get(GetAsync, "A task's parameters (tid), or recommended parameters for a project (pid)", "tid?:string", "pid?:string", "model_type?:string", "gpu_list?:array")
            .Post(SetAsync, "Change the parameters of a task that has not started", "tid:string", "train:object"));

    private static async ValueTask<IResult> GetAsync(ApiCall call)
    {
        var tid = call.Args.String("tid");
        if (tid is null)
        {
            return call.Args.String("pid") is { } pid ? await RecommendedAsync(call, pid) : throw ApiArgs.Missing("tid");
        }

        var task = await call.TaskAsync(tid);
        return JsonReply.Ok(new JsonObject { ["train"] = TrainingParams.Parse(task.ParamsJson) ?? [] });
    }

    /// <summary>Recommended parameters for a new task of the project (docs/api-behaviour.md §5).</summary>
    private static async ValueTask<IResult> RecommendedAsync(ApiCall call, string pid)
    {
        var project = await call.ProjectAsync(pid, $"项目ID'{pid}'不存在");
        var dataset = project.Did.Length == 0 ? null : await call.Services.Metadata.Datasets.GetAsync(project.Did, call.Cancellation);
        var status = dataset is null ? -1 : Views.DatasetStatusOf(dataset);
        var detailsPath = dataset is null ? string.Empty : DatasetLayout.Details(dataset.Path);
        if (dataset is null || status is not ((int)DatasetStatus.XCOPYDONE or (int)DatasetStatus.XSPLITED) || !await call.Services.Artifacts.ExistsAsync(detailsPath, call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"项目{pid}还未绑定已导入的数据集，无法获取默认参数 (bind an imported dataset to project {pid} first)");
        }

        DatasetDetails details;
        await using (var stream = await call.Services.Artifacts.OpenReadAsync(detailsPath, call.Cancellation))
        {
            details = DatasetDetails.Read(stream);
        }

        var free = (await call.Services.Machine.GpuMemoryAsync(call.Cancellation)).Select(g => g!["free"]!.GetValue<int>()).ToList();
        IReadOnlyList<int> gpus = [];
        if (free.Count > 0)
        {
            gpus = call.Args.List("gpu_list")?.Select(g => int.TryParse(g?.ToString(), out var id) && id >= 0 && id < free.Count
                ? id
                : throw ApiException.Invalid($"gpu_list中的GPU {g}不存在 (no GPU {g}; this machine has {free.Count})")).ToList() ?? [0];
        }

        var recommended = RecommendedParams.For(project.Type, call.Args.String("model_type"), details.TrainFiles.Count, details.Labels.Count, gpus, gpus.Select(g => free[g]).ToList());
        var sets = await PretrainSets.AvailableAsync(call, recommended["model"]!.GetValue<string>());
        return JsonReply.Ok(new JsonObject { ["train"] = recommended, ["pretrain_weights_available"] = new JsonArray(sets.Select(s => (JsonNode)s).ToArray()) });
    }

    private static async ValueTask<IResult> SetAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        var incoming = call.Args.RequireObject("train");
        var task = await call.TaskAsync(tid);
        var project = await call.ProjectAsync(task.Pid);
        await call.Services.Metadata.Tasks.UpdateAsync(
            tid,
            t =>
            {
                if (t.State is not null && t.State.Status != (int)Contracts.TaskStatus.XINIT)
                {
                    throw new ApiException(ErrorCodes.InvalidState, "该任务不在初始化阶段，设置参数失败");
                }

                var stored = TrainingParams.Parse(t.ParamsJson) ?? TrainingParams.Defaults(project.Type);
                TrainingParams.Merge(stored, incoming, project.Type);
                PretrainWeightsRule.Check(call, stored);
                t.ParamsJson = stored.ToJsonString();
            },
            call.Cancellation);
        return JsonReply.Ok();
    }
}
