using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/export (docs/api-behaviour.md §6): ONNX (opset 17, dynamic batch)
/// plus model.json into a workspace folder; <c>lite</c> = the same graph with float16 weights.</summary>
public static class ExportApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/export", "ProjectTaskExport", m => m
            .Post(StartAsync, "Export the trained model as ONNX (type infer or lite) into save_dir (a job)", "tid:string", "type:string=infer|lite", "save_dir:string", "epoch?:integer")
            .Get(StatusAsync, "Export status", "tid:string")
            .Put(StopAsync, "Stop an export", "tid:string"));

    private static async ValueTask<IResult> StartAsync(ApiCall call)
    {
        var type = call.Args.RequireString("type");
        if (type is not ("infer" or "inference" or "lite"))
        {
            throw ApiException.Invalid($"type只能为infer、inference或lite (unknown type '{type}')");
        }

        if (call.Args.Bool("quant") == true)
        {
            throw new ApiException(ErrorCodes.NotImplementedYet, "暂不支持量化导出 (quantised export is not available yet)");
        }

        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        var userDir = call.Args.RequireString("save_dir");
        if (!call.Services.Artifacts.TryResolve(userDir, out var saveDir) || saveDir.Length == 0)
        {
            throw new ApiException(ErrorCodes.PathNotAllowed, $"导出路径{userDir}不在工作空间内 (save_dir outside the workspace)");
        }

        var epoch = call.Args.Int("epoch");
        var checkpoint = epoch is null ? "best_model" : $"epoch_{epoch}";
        if (!await call.Services.Artifacts.ExistsAsync($"{task.Path}/output/{checkpoint}/.success", call.Cancellation))
        {
            throw new ApiException(ErrorCodes.InvalidState, $"未在训练路径{call.Services.Artifacts.ToDisplayPath($"{task.Path}/output")}下发现保存的{checkpoint}，导出失败");
        }

        var parameters = new JsonObject { ["save_dir"] = saveDir, ["epoch"] = epoch, ["lite"] = type == "lite" };
        await TaskJobs.StartAsync(call, task, JobKinds.Export, (int)Contracts.TaskStatus.XEXPORTING, parameters.ToJsonString());
        return JsonReply.Ok(new JsonObject { ["save_dir"] = call.Services.Artifacts.ToDisplayPath(saveDir) });
    }

    private static async ValueTask<IResult> StatusAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        switch (call.Args.String("quant"))
        {
            case "log":
                return JsonReply.Ok(new JsonObject { ["quant_log"] = new JsonObject { ["log_file"] = null, ["stage"] = null, ["running_duration"] = null } });
            case "result":
                return JsonReply.Ok(new JsonObject { ["quant_result"] = new JsonObject() });
        }

        if (!task.Jobs.TryGetValue(JobKinds.Export, out var job))
        {
            return JsonReply.Ok(new JsonObject { ["export_status"] = null, ["message"] = null });
        }

        var (status, message) = (Contracts.TaskStatus)job.Status switch
        {
            Contracts.TaskStatus.XEXPORTED => (1, $"恭喜您，{task.Id}任务模型导出成功！"),
            Contracts.TaskStatus.XEXPORTFAIL => (-1, job.Message == "已停止导出进程！" ? job.Message : $"{task.Id}任务模型导出失败，请重试！"),
            _ => (1, $"{task.Id}任务模型导出中，请稍等！"),
        };
        return new JsonReply(new JsonObject { ["status"] = status, ["export_status"] = job.Status, ["message"] = message });
    }

    private static async ValueTask<IResult> StopAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        await call.TaskAsync(tid);
        await TaskJobs.StopAsync(call, tid, JobKinds.Export, (int)Contracts.TaskStatus.XEXPORTFAIL, "已停止导出进程！");
        return JsonReply.Ok();
    }
}
