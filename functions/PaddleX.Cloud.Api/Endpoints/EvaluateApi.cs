using System.Globalization;
using System.Text.Json.Nodes;
using ClosedXML.Excel;
using Microsoft.AspNetCore.Http;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;

namespace PaddleX.Cloud.Api.Endpoints;

/// <summary>/project/task/evaluate and /project/task/evaluate/file (docs/api-behaviour.md §6).
/// The result is stored as JSON (<c>eval_res.json</c>), never pickled.</summary>
public static class EvaluateApi
{
    public const string ResultFile = "eval_res.json";

    public static void Map(RouteTableBuilder routes)
    {
        routes.Route("/project/task/evaluate", "ProjectTaskEvaluate", m => m
            .Post(StartAsync, "Evaluate a trained task on its validation or test split (a job)", "tid:string", "epoch?:integer", "topk?:integer", "score_thresh?:number", "overlap_thresh?:number")
            .Get(StatusAsync, "Evaluation status and result", "tid:string"));
        routes.Route("/project/task/evaluate/file", "ProjectTaskEvaluateFile", m => m.Get(FileAsync, "The evaluation report (.xlsx) and confusion-matrix picture", "tid:string", "path?:string", "topk?:integer"));
    }

    private static async ValueTask<IResult> StartAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        var epoch = call.Args.Int("epoch");
        var topk = call.Args.Int("topk") ?? 5;
        if (topk < 1)
        {
            throw ApiException.Invalid("topk必须为正整数 (topk must be ≥ 1)");
        }

        var checkpoint = epoch is null ? "best_model" : $"epoch_{epoch}";
        if (!await call.Services.Artifacts.ExistsAsync($"{task.Path}/output/{checkpoint}/.success", call.Cancellation))
        {
            var output = call.Services.Artifacts.ToDisplayPath($"{task.Path}/output");
            throw new ApiException(ErrorCodes.InvalidState, epoch is null
                ? $"未在训练路径{output}下发现保存的best_model，无法进行评估"
                : $"未在训练路径{output}下发现保存的epoch_{epoch}，无法进行评估");
        }

        var parameters = new JsonObject
        {
            ["epoch"] = epoch,
            ["topk"] = topk,
            ["score_thresh"] = call.Args.Double("score_thresh") ?? 0.5,
            ["overlap_thresh"] = call.Args.Double("overlap_thresh") ?? 0.3,
        };
        await TaskJobs.StartAsync(call, task, JobKinds.Evaluate, (int)Contracts.TaskStatus.XEVALUATING, parameters.ToJsonString());
        return JsonReply.Ok();
    }

    private static async ValueTask<IResult> StatusAsync(ApiCall call)
    {
        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        if (!task.Jobs.TryGetValue(JobKinds.Evaluate, out var job))
        {
            return JsonReply.Ok(new JsonObject { ["evaluate_status"] = null, ["message"] = null, ["result"] = null, ["path"] = null });
        }

        var path = $"{task.Path}/{ResultFile}";
        switch ((Contracts.TaskStatus)job.Status)
        {
            case Contracts.TaskStatus.XEVALUATED:
                var result = await ReadResultAsync(call, path);
                return result is null
                    ? Reply(-1, job.Status, "评估结果丢失，建议重新评估!", null, null)
                    : Reply(1, job.Status, $"{task.Id}评估完成", result, call.Services.Artifacts.ToDisplayPath(path));
            case Contracts.TaskStatus.XEVALUATEFAIL:
                return Reply(-1, job.Status, "评估失败，请重新评估!" + (job.Message.Trim().Length > 0 ? " " + job.Message.Trim() : string.Empty), null, null);
            default:
                return Reply(1, job.Status, $"{task.Id}正在评估中，请稍后!", null, null);
        }
    }

    private static JsonReply Reply(int status, int evaluateStatus, string message, JsonObject? result, string? path) =>
        new(new JsonObject { ["status"] = status, ["evaluate_status"] = evaluateStatus, ["message"] = message, ["result"] = result, ["path"] = path });

    private static async ValueTask<JsonObject?> ReadResultAsync(ApiCall call, string path)
    {
        if (!await call.Services.Artifacts.ExistsAsync(path, call.Cancellation))
        {
            return null;
        }

        await using var stream = await call.Services.Artifacts.OpenReadAsync(path, call.Cancellation);
        return (await JsonNode.ParseAsync(stream, cancellationToken: call.Cancellation)) as JsonObject;
    }

    private static async ValueTask<IResult> FileAsync(ApiCall call)
    {
        if (call.Args.String("path") is { } userPath)
        {
            if (!call.Services.Artifacts.TryResolve(userPath, out var relative) || !relative.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                throw new ApiException(ErrorCodes.PathNotAllowed, $"路径{userPath}不在工作空间内或不是评估结果文件 (path outside the workspace or not an evaluation result)");
            }

            var stored = await ReadResultAsync(call, relative)
                ?? throw new ApiException(ErrorCodes.FileNotFound, $"文件{userPath}不存在");
            return JsonReply.Ok(stored);
        }

        var task = await call.TaskAsync(call.Args.RequireString("tid"));
        var evaluated = task.Jobs.TryGetValue(JobKinds.Evaluate, out var job) && job.Status == (int)Contracts.TaskStatus.XEVALUATED;
        var result = evaluated ? await ReadResultAsync(call, $"{task.Path}/{ResultFile}") : null;
        if (result is null)
        {
            return new JsonReply(new JsonObject { ["status"] = -1, ["path"] = null, ["message"] = "评估尚未完成或评估失败" });
        }

        var report = $"{task.Path}/report-task{task.Id}.xlsx";
        using var buffer = new MemoryStream();
        EvaluationReport.WriteXlsx(result, call.Args.Int("topk"), buffer);
        buffer.Position = 0;
        await call.Services.Artifacts.WriteAsync(report, buffer, call.Cancellation);
        return JsonReply.Ok(new JsonObject { ["path"] = call.Services.Artifacts.ToDisplayPath(report), ["message"] = "成功导出结果到excel" });
    }
}

/// <summary>The evaluation report as an Excel sheet "评估报告" (docs/api-behaviour.md §6): each dictionary entry
/// becomes a titled table (类别 + sub-metric columns), each number a title row and a value row; each
/// confusion matrix (instance segmentation has one for boxes and one for masks) gets its own table.
/// Numbers are stored as numbers, rounded to 4 decimals; −1 and null become the text "nan".</summary>
public static class EvaluationReport
{
    private static readonly Dictionary<string, string> Titles = new(StringComparer.Ordinal)
    {
        ["PRF1"] = "各类别的精确率、召回率、F1值与AUC",
        ["PRF1_average"] = "平均精确率、召回率与F1值",
        ["Acc1"] = "Top1准确率",
        ["Acck"] = "Top{0}准确率",
        ["Confusion_Matrix"] = "混淆矩阵 (行: 真实类别, 列: 预测类别)",
        ["mAP"] = "mAP",
        ["PRAP"] = "各类别的精确率、召回率与AP",
        ["Mean_IoU"] = "平均IoU",
        ["Mean_Acc"] = "平均准确率",
        ["PRIoU"] = "各类别的精确率、召回率与IoU",
        ["BBox_mAP"] = "检测框mAP",
        ["BBox_PRAP"] = "各类别检测框的精确率、召回率与AP",
        ["BBox_Confusion_Matrix"] = "检测框混淆矩阵 (行: 真实类别, 列: 预测类别)",
        ["Mask_mAP"] = "分割掩码mAP",
        ["Mask_PRAP"] = "各类别分割掩码的精确率、召回率与AP",
        ["Mask_Confusion_Matrix"] = "分割掩码混淆矩阵 (行: 真实类别, 列: 预测类别)",
    };

    public const string SheetName = "评估报告";

    public static void WriteXlsx(JsonObject result, int? topk, Stream output)
    {
        using var book = new XLWorkbook();
        var sheet = book.AddWorksheet(SheetName);
        var row = 1;
        var width = 2;
        foreach (var (key, value) in result)
        {
            if (key is "label_list" or "epoch" or "topk" || key.EndsWith("Confusion_Matrix", StringComparison.Ordinal))
            {
                continue;
            }

            var title = Titles.TryGetValue(key, out var t) ? string.Format(CultureInfo.InvariantCulture, t, topk ?? 5) : key;
            switch (value)
            {
                case JsonObject table:
                    sheet.Cell(row, 1).Value = title;
                    sheet.Cell(row, 1).Style.Font.Bold = true;
                    row++;
                    var columns = table.Select(p => p.Value as JsonObject).Where(o => o is not null).SelectMany(o => o!.Select(p => p.Key)).Distinct().ToList();
                    sheet.Cell(row, 1).Value = "类别";
                    for (var c = 0; c < columns.Count; c++)
                    {
                        sheet.Cell(row, c + 2).Value = columns[c];
                    }

                    width = Math.Max(width, columns.Count + 1);
                    row++;
                    foreach (var (name, metrics) in table)
                    {
                        sheet.Cell(row, 1).Value = name;
                        for (var c = 0; c < columns.Count; c++)
                        {
                            SetNumber(sheet.Cell(row, c + 2), (metrics as JsonObject)?[columns[c]]);
                        }

                        row++;
                    }

                    row++;
                    break;
                case JsonValue or null:
                    sheet.Cell(row, 1).Value = title;
                    sheet.Cell(row, 1).Style.Font.Bold = true;
                    SetNumber(sheet.Cell(row + 1, 1), value);
                    row += 3;
                    break;
            }
        }

        // Confusion matrices (instance segmentation has one for boxes and one for masks) follow the tables.
        foreach (var (key, value) in result)
        {
            if (!key.EndsWith("Confusion_Matrix", StringComparison.Ordinal) || value is not JsonArray matrix || result["label_list"] is not JsonArray labels)
            {
                continue;
            }

            sheet.Cell(row, 1).Value = Titles.TryGetValue(key, out var title) ? title : key;
            sheet.Cell(row, 1).Style.Font.Bold = true;
            row++;
            for (var j = 0; j < labels.Count; j++)
            {
                sheet.Cell(row, j + 2).Value = labels[j]?.GetValue<string>();
            }

            for (var i = 0; i < matrix.Count; i++)
            {
                sheet.Cell(row + 1 + i, 1).Value = i < labels.Count ? labels[i]?.GetValue<string>() : string.Empty;
                var cells = matrix[i]!.AsArray();
                for (var j = 0; j < cells.Count; j++)
                {
                    sheet.Cell(row + 1 + i, j + 2).Value = cells[j]!.GetValue<double>();
                }
            }

            row += matrix.Count + 2;
            width = Math.Max(width, labels.Count + 1);
        }

        // AdjustToContents needs libgdiplus: fixed widths instead.
        sheet.Column(1).Width = 28;
        for (var c = 2; c <= width; c++)
        {
            sheet.Column(c).Width = 14;
        }

        book.SaveAs(output);
    }

    private static void SetNumber(IXLCell cell, JsonNode? node)
    {
        if (node is JsonValue v && v.TryGetValue<double>(out var d) && d != -1 && double.IsFinite(d))
        {
            cell.Value = Math.Round(d, 4);
            cell.Style.NumberFormat.Format = "0.0000";
        }
        else
        {
            cell.Value = "nan";
        }
    }
}
