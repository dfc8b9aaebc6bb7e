using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Contracts.Training;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/export (docs/api-behaviour.md §6): ONNX (opset 17, dynamic batch)
/// plus model.json into a workspace folder; <c>lite</c> = the same graph with float16 weights;
/// <c>quant: true</c> = int8 post-training quantisation with its progress and before/after metrics
/// (docs/quantisation.md).</summary>
public static class ExportApi
{
    public static void Map(RouteTableBuilder routes) =>
        routes.Route("/project/task/export", "ProjectTaskExport", m => m
            .Post(StartAsync, "Export the trained model as ONNX (type infer or lite) into save_dir (a job)", "tid:string", "type:string=infer|lite", "save_dir:string", "epoch?:integer", "quant?:boolean", "quant_method?:string=kl|minmax|percentile")
            .Get(StatusAsync, "Export status; quant=log: int8 export progress, quant=result: metrics before and after", "tid:string", "quant?:string=log|result")
            .Put(StopAsync, "Stop an export", "tid:string"));

    private static async ValueTask<IResult> StartAsync(ApiCall call)
    {
        var type = call.Args.RequireString("type");
        if (type is not ("infer" or "inference" or "lite"))
        {
            throw ApiException.Invalid($"type只能为infer、inference或lite (unknown type '{type}')");
        }

        var quant = call.Args.Bool("quant") == true;
        var method = call.Args.String("quant_method") ?? "kl";
        if (quant && type == "lite")
        {
            throw ApiException.Invalid("量化导出只支持type为infer (quant needs type infer)");
        }

        if (quant && method is not ("kl" or "minmax" or "percentile"))
        {
            throw ApiException.Invalid($"quant_method只能为kl、minmax或percentile (unknown calibration method '{method}')");
        }

        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        if (quant)
        {
            await CheckQuantisableAsync(call, task);
        }

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

        var parameters = new JsonObject { ["save_dir"] = saveDir, ["epoch"] = epoch, ["lite"] = type == "lite", ["quant"] = quant, ["quant_method"] = quant ? method : null };
        await TaskJobs.StartAsync(call, task, JobKinds.Export, (int)Contracts.TaskStatus.XEXPORTING, parameters.ToJsonString());
        return JsonReply.Ok(new JsonObject { ["save_dir"] = call.Services.Artifacts.ToDisplayPath(saveDir) });
    }

    private static async ValueTask<IResult> StatusAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        switch (call.Args.String("quant"))
        {
            case "log":
                var log = await ReadAsync(call, $"{task.Path}/{QuantLogFormat.LogFile}");
                var (stage, fraction) = log is null ? (null, null) : QuantLogFormat.Parse(log.Split('\n'));
                return JsonReply.Ok(new JsonObject
                {
                    ["quant_log"] = new JsonObject
                    {
                        ["log_file"] = log is null ? null : call.Services.Artifacts.ToDisplayPath($"{task.Path}/{QuantLogFormat.LogFile}"),
                        ["stage"] = stage,
                        ["running_duration"] = fraction,
                    },
                });
            case "result":
                var result = await ReadAsync(call, $"{task.Path}/{QuantLogFormat.ResultFile}");
                return JsonReply.Ok(new JsonObject { ["quant_result"] = result is null ? new JsonObject() : JsonNode.Parse(result) });
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

    /// <summary>int8 export evaluates on the validation split and calibrates on the training split of a
    /// classification, segmentation or YOLO-family detection dataset (YOLOv3, PP-YOLO, PP-YOLO Tiny, PP-YOLOv2).</summary>
    private static async ValueTask CheckQuantisableAsync(ApiCall call, TaskInfo task)
    {
        var project = await call.ProjectAsync(task.Pid);
        if (project.Type != nameof(ProjectType.classification) && !Params.ModelCatalog.IsSegmentation(project.Type) && project.Type != nameof(ProjectType.detection))
        {
            throw new ApiException(ErrorCodes.NotImplementedYet, $"量化导出暂只支持分类、分割与YOLO系列检测任务 (int8 export is available for classification, segmentation and YOLO-family detection, not {project.Type})");
        }

        if (project.Type == nameof(ProjectType.detection) && Params.TrainingParams.Parse(task.ParamsJson)?["model"]?.GetValue<string>() is { } model && model is "FasterRCNN" or "MaskRCNN")
        {
            throw new ApiException(ErrorCodes.NotImplementedYet, $"暂不支持{model}模型量化导出 (int8 export of detection models is available for the YOLO family: YOLOv3, PPYOLO, PPYOLOTiny, PPYOLOv2; not {model})");
        }

        var dataset = await call.DatasetAsync(project.Did);
        foreach (var list in new[] { "train_list.txt", "val_list.txt" })
        {
            if (!await call.Services.Artifacts.ExistsAsync($"{dataset.Path}/{list}", call.Cancellation))
            {
                throw new ApiException(ErrorCodes.InvalidState, $"数据集{dataset.Id}没有{list}，无法量化导出 (int8 export calibrates on the training split and evaluates on the validation split)");
            }
        }
    }

    private static async ValueTask<string?> ReadAsync(ApiCall call, string path)
    {
        if (!await call.Services.Artifacts.ExistsAsync(path, call.Cancellation))
        {
            return null;
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(call.Cancellation);
    }

    private static async ValueTask<IResult> StopAsync(ApiCall call)
    {
        var tid = call.Args.RequireString("tid");
        await call.TaskAsync(tid);
        await TaskJobs.StopAsync(call, tid, JobKinds.Export, (int)Contracts.TaskStatus.XEXPORTFAIL, "已停止导出进程！");
        return JsonReply.Ok();
    }
}
