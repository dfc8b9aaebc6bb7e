using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Inference;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>A PP-YOLO task (MobileNetV3_small, the cheapest of the family: CoordConv, SPP, IoU-aware head, Matrix NMS)
/// trained one tiny epoch over HTTP exports through <c>POST /project/task/export</c>, and the inference package
/// detects with the export folder.</summary>
public sealed class PPYoloExportFlowTests : ServerTestBase
{
    [Fact]
    public async Task A_PPYOLO_task_exports_over_http_and_the_inference_package_runs_it()
    {
        var source = ShapeDetectionGenerator.Write(Path.Combine(Server.Workspace, "import", "shapes"), new ShapeDetectionOptions { Count = 8, MinSide = 64, MaxSide = 64, Seed = 6 });
        var (pid, _) = await ImportedProjectAsync(source, "形状", "detection", valSplit: 0.25, testSplit: 0.0);
        var train = DetectionTrainParams.Tiny("PPYOLO", "MobileNetV3_small", batchSize: 3);
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        var task = await WaitForTaskAsync(tid, s => s is 4 or 10, TimeSpan.FromMinutes(5));
        Assert.True(task["task_status"]!.GetValue<int>() == 4, $"training did not finish: {task.ToJsonString()}");

        var saveDir = Path.Combine(Server.Workspace, "exports", "ppyolo_onnx");
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = saveDir }));
        JsonObject state = [];
        await Polling.WaitUntilAsync(async () => (state = await Api.GetAsync("/project/task/export", new { tid }))["export_status"]!.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(2));
        Assert.True(state["export_status"]!.GetValue<int>() == 7, $"export failed: {state.ToJsonString()}");
        var info = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(saveDir, "model.json")))!;
        Assert.Equal(("detection", "PPYOLO", "MobileNetV3_small"), (info["task"]!.GetValue<string>(), info["model"]!.GetValue<string>(), info["backbone"]!.GetValue<string>()));
        Assert.Equal([64, 64], info["input_size"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray());

        using var detector = new ExportedDetector(saveDir);
        var found = detector.Detect(Directory.GetFiles(Path.Combine(source, "JPEGImages"))[0]);
        Assert.InRange(found.Count, 0, 100);
        Assert.All(found, d => Assert.Contains(d.Label, ShapeDetectionGenerator.Classes));
        Assert.Equal(found.Select(d => d.Score).OrderByDescending(s => s), found.Select(d => d.Score));
    }
}
