using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Datasets.Demo;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Model pruning over HTTP: the sensitivity analysis (start, progress, stop, continue, plot) and a pruned
/// retraining of a child task whose export records that it is pruned; bad requests get status -1.</summary>
public sealed class PruneFlowTests : ServerTestBase
{
    [Fact]
    public async Task Analysis_stops_and_continues_then_a_child_task_retrains_pruned()
    {
        var (pid, _) = await ImportedProjectAsync(perClass: 20);
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = TinyTraining.ResNet18(4, 3).ToJsonString() }))["tid"]!.GetValue<string>();

        // Nothing to analyse yet.
        var never = Expect.Ok(await Api.GetAsync("/project/task/prune", new { tid }));
        Assert.Null(never["prune_status"]);
        Assert.Null(Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "prune" }))["prune_log"]);
        Expect.Error(await Api.PostAsync("/project/task/prune", new { tid }), "invalid_state", "该任务暂未保存模型，无法进行模型裁剪分析");
        Expect.Error(await Api.PutAsync("/project/task/prune", new { tid, act = "stop" }), "invalid_state", "模型裁剪分析任务未在运行中");
        Expect.Error(await Api.PutAsync("/project/task/prune", new { tid, act = "pause" }), "invalid_argument");
        Expect.Error(await Api.GetAsync("/project/task/metrics", new { tid, type = "sensitivities" }), "invalid_state");
        Expect.Error(await Api.PostAsync("/project/task/prune", new { tid = "T0404" }), "task_not_found");

        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        Assert.Equal(4, (await WaitForTaskAsync(tid, s => s is 4 or 10, TimeSpan.FromMinutes(10)))["task_status"]!.GetValue<int>());
        var parentAcc = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "eval" }))["eval_metrics"]!["acc1"]!.GetValue<double>();

        // A child inherits the parent's parameters; it cannot retrain before the parent's analysis, nor with a bad share.
        var child = Expect.Ok(await Api.PostAsync("/project/task", new { pid, parent_id = tid }))["tid"]!.GetValue<string>();
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid = child, pruned_flops = 0.3 }), "invalid_state", "裁剪分析");
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid = child, pruned_flops = 1.5 }), "invalid_argument", "pruned_flops");
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid = child, pruned_flops = 0 }), "invalid_argument", "pruned_flops");
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid = child, eval_metric_loss = -0.1 }), "invalid_argument", "eval_metric_loss");

        // The analysis: stopped part-way, then started again it continues from the evaluations already done.
        Expect.Ok(await Api.PostAsync("/project/task/prune", new { tid }));
        Expect.Error(await Api.PostAsync("/project/task/prune", new { tid }), "job_running");
        Assert.Equal(14, (await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>());
        await Polling.WaitUntilAsync(async () => Current(await PruneLogAsync(tid)) >= 3, TimeSpan.FromMinutes(6));
        Expect.Ok(await Api.PutAsync("/project/task/prune", new { tid, act = "stop" }));
        Assert.Equal(4, (await Api.GetAsync("/project/task/prune", new { tid }))["prune_status"]!.GetValue<int>());
        Expect.Error(await Api.PutAsync("/project/task/prune", new { tid, act = "stop" }), "invalid_state");
        var log = await PruneLogAsync(tid);
        Assert.Equal("108", log["iters"]!.GetValue<string>()); // ResNet18: 12 channel groups × 9 ratios
        Assert.NotNull(log["eta"]);

        // Started again once the worker lets the stopped job go, it continues.
        await Polling.WaitUntilAsync(
            async () =>
            {
                var reply = await Api.PostAsync("/project/task/prune", new { tid });
                return reply["status"]!.GetValue<int>() == 1 || reply["code"]!.GetValue<string>() != "job_running" && Expect.Ok(reply) is null;
            },
            TimeSpan.FromMinutes(2));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task/prune", new { tid }))["prune_status"]!.GetValue<int>() is 2 or 3, TimeSpan.FromMinutes(10));
        Assert.Equal(2, (await Api.GetAsync("/project/task/prune", new { tid }))["prune_status"]!.GetValue<int>());
        log = await PruneLogAsync(tid);
        Assert.Equal("108", log["current"]!.GetValue<string>());
        Assert.Equal("1.0000", log["progress"]!.GetValue<string>());
        var text = string.Join("\n", Expect.Ok(await Api.GetAsync("/file", new { path = log["log_file"]!.GetValue<string>() }))["log"]!.AsArray().Select(l => l!.GetValue<string>()));
        var continued = System.Text.RegularExpressions.Regex.Match(text, @"continues: (\d+) of 108 evaluations already done");
        Assert.True(continued.Success, text);
        // At least what was measured when the stop was asked (the worker notices it within seconds).
        Assert.InRange(int.Parse(continued.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 3, 108);

        var sensitivities = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "sensitivities" }));
        Assert.StartsWith("iVBORw0KGgo", sensitivities["sensitivities_loss_img"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(12, sensitivities["sensitivities"]!["groups"]!.AsObject().Count);

        // Pruned retraining of the child, then its export.
        Expect.Ok(await Api.PostAsync("/project/task/params", new { tid = child, train = new JsonObject { ["learning_rate"] = 0.01, ["num_epochs"] = 2 }.ToJsonString() }));
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid = child, pruned_flops = 0.3 }));
        Assert.Equal(15, (await Api.GetAsync("/project/task", new { tid = child }))["task_status"]!.GetValue<int>());
        Assert.Equal(4, (await WaitForTaskAsync(child, s => s is 4 or 10, TimeSpan.FromMinutes(10)))["task_status"]!.GetValue<int>());
        var childAcc = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid = child, type = "eval" }))["eval_metrics"]!["acc1"]!.GetValue<double>();
        Assert.True(childAcc >= parentAcc - 0.1, $"pruned {childAcc} vs parent {parentAcc}");
        var trainLog = string.Join("\n", Expect.Ok(await Api.GetAsync("/file", new { path = DisplayPath($"projects/{pid}/{child}/out.log") }))["log"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Contains("Pruned ResNet18 at 32x32", trainLog, StringComparison.Ordinal);

        Expect.Ok(await Api.PostAsync("/project/task/export", new { tid = child, type = "infer", save_dir = "exports/pruned" }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task/export", new { tid = child }))["export_status"]?.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(2));
        var info = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Server.Workspace, "exports", "pruned", "model.json")))!;
        Assert.True(info["pruned"]!.GetValue<bool>());
        Assert.True(info["flops"]!.GetValue<long>() <= info["pruning"]!["base_flops"]!.GetValue<long>() * 0.7);

        // A child whose parent is gone.
        Expect.Ok(await Api.DeleteAsync("/project/task", new { tid }));
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid = child, pruned_flops = 0.3 }), "task_not_found", "父任务");
    }

    /// <summary>A YOLO-family task (YOLOv3; PP-YOLO with CoordConv, SPP, the IoU-aware head and Matrix NMS) is analysed,
    /// its child retrained pruned, then exported as float32 and int8.</summary>
    [Theory]
    [InlineData("YOLOv3", "MobileNetV1", 34)]
    [InlineData("PPYOLO", "MobileNetV3_small", 31)]
    public async Task A_YOLO_family_task_is_analysed_by_bbox_map_and_a_child_retrains_pruned_and_exports_float32_and_int8(string model, string backbone, int groups)
    {
        var source = ShapeDetectionGenerator.Write(Path.Combine(Server.Workspace, "import", "shapes"), new ShapeDetectionOptions { Count = 10, MaxSide = 96, Seed = 5 });
        var (pid, _) = await ImportedProjectAsync(source, "形状", "detection", valSplit: 0.2, testSplit: 0);
        var train = DetectionTrainParams.Tiny(model, backbone, batchSize: 4);
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        Assert.Equal(4, (await WaitForTaskAsync(tid, s => s is 4 or 10, TimeSpan.FromMinutes(5)))["task_status"]!.GetValue<int>());

        Expect.Ok(await Api.PostAsync("/project/task/prune", new { tid }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task/prune", new { tid }))["prune_status"]!.GetValue<int>() is 2 or 3, TimeSpan.FromMinutes(25));
        Assert.Equal(2, (await Api.GetAsync("/project/task/prune", new { tid }))["prune_status"]!.GetValue<int>());
        var log = await PruneLogAsync(tid);
        Assert.Equal($"{groups * 9}", log["iters"]!.GetValue<string>()); // channel groups × 9 ratios
        Assert.Equal("1.0000", log["progress"]!.GetValue<string>());
        var sensitivities = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "sensitivities" }));
        Assert.StartsWith("iVBORw0KGgo", sensitivities["sensitivities_loss_img"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("bbox_map", sensitivities["sensitivities"]!["metric"]!.GetValue<string>());
        Assert.Equal(groups, sensitivities["sensitivities"]!["groups"]!.AsObject().Count);

        var child = Expect.Ok(await Api.PostAsync("/project/task", new { pid, parent_id = tid }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid = child, pruned_flops = 0.3 }));
        Assert.Equal(15, (await Api.GetAsync("/project/task", new { tid = child }))["task_status"]!.GetValue<int>());
        Assert.Equal(4, (await WaitForTaskAsync(child, s => s is 4 or 10, TimeSpan.FromMinutes(5)))["task_status"]!.GetValue<int>());
        var trainLog = string.Join("\n", Expect.Ok(await Api.GetAsync("/file", new { path = DisplayPath($"projects/{pid}/{child}/out.log") }))["log"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Contains($"Pruned {model} at 64x64", trainLog, StringComparison.Ordinal);

        Expect.Ok(await Api.PostAsync("/project/task/export", new { tid = child, type = "infer", save_dir = $"exports/pruned_{model}" }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task/export", new { tid = child }))["export_status"]?.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(2));
        var info = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Server.Workspace, "exports", $"pruned_{model}", "model.json")))!;
        Assert.True(info["pruned"]!.GetValue<bool>());
        Assert.True(info["flops"]!.GetValue<long>() <= info["pruning"]!["base_flops"]!.GetValue<long>() * 0.7);

        // int8 of the pruned child: the detection metric before and after, the original's progress stages.
        Expect.Ok(await Api.PostAsync("/project/task/export", new { tid = child, type = "infer", save_dir = $"exports/pruned_{model}_int8", quant = true, quant_method = "minmax" }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task/export", new { tid = child }))["export_status"]?.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(3));
        Assert.Equal(7, (await Api.GetAsync("/project/task/export", new { tid = child }))["export_status"]!.GetValue<int>());
        Assert.Equal("Finish", Expect.Ok(await Api.GetAsync("/project/task/export", new { tid = child, quant = "log" }))["quant_log"]!["stage"]!.GetValue<string>());
        var result = Expect.Ok(await Api.GetAsync("/project/task/export", new { tid = child, quant = "result" }))["quant_result"]!;
        Expect.Keys(result["before"]!.AsObject(), "bbox_map");
        Expect.Keys(result["after"]!.AsObject(), "bbox_map");
        var int8 = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Server.Workspace, "exports", $"pruned_{model}_int8", "model.json")))!;
        Assert.Equal("int8", int8["weights"]!.GetValue<string>());
        Assert.True(int8["pruned"]!.GetValue<bool>());
        Assert.True(new FileInfo(Path.Combine(Server.Workspace, "exports", $"pruned_{model}_int8", "model.onnx")).Length
            <= new FileInfo(Path.Combine(Server.Workspace, "exports", $"pruned_{model}", "model.onnx")).Length * 0.3);
    }

    [Fact]
    public async Task Rcnn_models_are_refused()
    {
        var did = await CreateDatasetAsync(type: "detection");
        var pid = await CreateProjectAsync(type: "detection");
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = "{\"model\": \"FasterRCNN\"}" }))["tid"]!.GetValue<string>();
        await WriteFileAsync($"projects/{pid}/{tid}/output/best_model/.success", string.Empty);
        Expect.Error(await Api.PostAsync("/project/task/prune", new { tid }), "invalid_state", "暂不支持FasterRCNN、MaskRCNN模型裁剪");
        // Their int8 export too (this engine quantises the YOLO family among the detectors).
        Expect.Error(await Api.PostAsync("/project/task/export", new { tid, type = "infer", save_dir = "exports/rcnn_int8", quant = true }), "not_available", "FasterRCNN");
    }

    private async Task<JsonObject> PruneLogAsync(string tid) =>
        Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "prune" }))["prune_log"] as JsonObject ?? [];

    private static int Current(JsonObject log) => int.TryParse(log["current"]?.GetValue<string>(), out var n) ? n : 0;
}
