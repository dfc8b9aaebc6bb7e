using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Datasets.Demo;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Detection over HTTP on the local server: a generated Pascal VOC set imported and split, a YOLOv3 task
/// trained (tiny), evaluated from its eval_details.json, predicted (test split beside the ground truth, uploaded
/// picture) and exported as ONNX with its post-processing.</summary>
public sealed class DetectionFlowTests : ServerTestBase
{
    [Fact]
    public async Task A_YOLOv3_task_trains_evaluates_predicts_and_exports_over_http()
    {
        var source = ShapeDetectionGenerator.Write(Path.Combine(Server.Workspace, "import", "shapes"), new ShapeDetectionOptions { Count = 14, MaxSide = 96, Seed = 4 });
        var (pid, _) = await ImportedProjectAsync(source, "形状", "detection", valSplit: 0.3, testSplit: 0.15);

        var train = DetectionTrainParams.Tiny("YOLOv3", "MobileNetV1_ssld", batchSize: 4);
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>() is 4 or 10, TimeSpan.FromMinutes(5));
        var task = await Api.GetAsync("/project/task", new { tid });
        Assert.True(task["task_status"]!.GetValue<int>() == 4, $"training did not finish: {task.ToJsonString()}");
        var trainLog = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "train" }))["train_log"]!;
        Assert.Equal("Train Complete", trainLog["train_stage"]!.GetValue<string>());
        Assert.True(trainLog["eval_metrics"]!.AsObject().ContainsKey("bbox_map"), trainLog["eval_metrics"]!.ToJsonString());
        foreach (var key in new[] { "loss", "loss_xy", "loss_wh", "loss_obj", "loss_cls" })
        {
            Assert.True(trainLog["train_metrics"]!.AsObject().ContainsKey(key), $"train_metrics lacks {key}");
        }

        // Evaluate offline from the best checkpoint's eval_details.json.
        Expect.Ok(await Api.PostAsync("/project/task/evaluate", new { tid, score_thresh = 0.01, overlap_thresh = 0.5 }));
        JsonObject evaluated = [];
        await Polling.WaitUntilAsync(async () => (evaluated = await Api.GetAsync("/project/task/evaluate", new { tid }))["evaluate_status"]!.GetValue<int>() is 5 or 12, TimeSpan.FromMinutes(1));
        Assert.True(evaluated["evaluate_status"]!.GetValue<int>() == 5, evaluated.ToJsonString());
        var result = evaluated["result"]!.AsObject();
        foreach (var key in new[] { "Confusion_Matrix", "mAP", "PRAP", "label_list" })
        {
            Assert.True(result.ContainsKey(key), $"the report lacks {key}");
        }

        Assert.Equal([.. ShapeDetectionGenerator.Classes, "back_ground"], result["label_list"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray());
        Assert.Equal(4, result["Confusion_Matrix"]!.AsArray().Count);

        // Predict the test split (drawn beside its ground truth) and an uploaded picture.
        Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, score_thresh = 0.01 }));
        Assert.Equal(1, (await PredictionFinishedAsync(tid))["predict_status"]!.GetValue<int>());
        var taskDir = Path.Combine(Server.Workspace, "projects", pid, tid);
        var results = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(taskDir, "logs", "predict", "results.json")))!.AsArray();
        Assert.NotEmpty(results);
        Assert.NotEmpty(results[0]!["boxes"]!.AsArray());
        Expect.Keys(results[0]!["boxes"]![0]!.AsObject(), "category", "category_id", "score", "bbox");
        using (var drawn = SkiaSharp.SKBitmap.Decode(Path.Combine(taskDir, "visualized_test_results", results[0]!["image"]!.GetValue<string>())))
        {
            Assert.True(drawn.Width > 400, "prediction and ground truth are drawn side by side");
        }

        var picture = Directory.GetFiles(Path.Combine(source, "JPEGImages"))[0];
        Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, image_data = Convert.ToBase64String(await File.ReadAllBytesAsync(picture)) }));
        Assert.Equal(1, (await PredictionFinishedAsync(tid))["predict_status"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(taskDir, "visualized_test_results", "predict_result.png")));

        // Export: ONNX with decoding and NMS inside, described by model.json.
        var saveDir = Path.Combine(Server.Workspace, "exports", "yolo_onnx");
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = saveDir }));
        JsonObject state = [];
        await Polling.WaitUntilAsync(async () => (state = await Api.GetAsync("/project/task/export", new { tid }))["export_status"]!.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(2));
        Assert.True(state["export_status"]!.GetValue<int>() == 7, $"export failed: {state.ToJsonString()}");
        var info = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(saveDir, "model.json")))!;
        Assert.Equal(("detection", "MobileNetV1"), (info["task"]!.GetValue<string>(), info["backbone"]!.GetValue<string>()));
        Assert.True(new FileInfo(Path.Combine(saveDir, "model.onnx")).Length > 100_000);
    }
}
