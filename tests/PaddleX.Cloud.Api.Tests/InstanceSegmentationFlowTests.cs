using System.Text.Json.Nodes;
using ClosedXML.Excel;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Datasets.Demo;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>Instance segmentation over HTTP on the local server: a generated COCO set with polygon outlines imported
/// and split, the recommended MaskRCNN parameters, a MaskRCNN task trained one tiny epoch, evaluated offline (box and
/// mask reports, Excel), predicted (test split beside its ground truth, a workspace list, an uploaded picture) and
/// exported as ONNX with its mask head.</summary>
public sealed class InstanceSegmentationFlowTests(Xunit.Abstractions.ITestOutputHelper output) : ServerTestBase
{
    [Fact]
    public async Task A_MaskRCNN_task_trains_evaluates_predicts_and_exports_over_http()
    {
        var source = ShapeDetectionGenerator.Write(
            Path.Combine(Server.Workspace, "import", "coco"),
            new ShapeDetectionOptions { Count = 12, MinSide = 48, MaxSide = 72, MaxObjects = 2, Coco = true, Polygons = true, Seed = 5 });
        var (pid, did) = await ImportedProjectAsync(source, "实例分割", "instance_segmentation", valSplit: 0.25, testSplit: 0.2);

        var recommended = Expect.Ok(await Api.GetAsync("/project/task/params", new { pid }))["train"]!.AsObject();
        Assert.Equal(("MaskRCNN", "ResNet50"), (recommended["model"]!.GetValue<string>(), recommended["backbone"]!.GetValue<string>()));
        Assert.Equal("[800,1333]", recommended["image_shape"]!.ToJsonString());
        Expect.Error(await Api.PostAsync("/project/task", new { pid, train = """{"model": "FasterRCNN"}""" }), "invalid_argument", "MaskRCNN");

        var train = new JsonObject
        {
            ["model"] = "MaskRCNN",
            ["backbone"] = "ResNet50",
            ["image_shape"] = new JsonArray(64, 96),
            ["batch_size"] = 2,
            ["num_epochs"] = 1,
            ["save_interval_epochs"] = 1,
            // A tiny step keeps the class scores near their uniform start, above the R-CNN score floor (0.05): one
            // epoch from scratch at a real rate learns "background" first and leaves nothing to predict or match.
            ["learning_rate"] = 0.00001,
            ["lr_decay_epochs"] = new JsonArray(1),
            ["warmup_steps"] = 1,
            ["pretrain_weights"] = string.Empty,
            ["seed"] = 3,
        };
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        var task = await WaitForTaskAsync(tid, s => s is 4 or 10, TimeSpan.FromMinutes(5));
        Assert.True(task["task_status"]!.GetValue<int>() == 4, $"training did not finish: {task.ToJsonString()}");
        var trainLog = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "train" }))["train_log"]!;
        Assert.True(trainLog["train_metrics"]!.AsObject().ContainsKey("loss_mask"), trainLog["train_metrics"]!.ToJsonString());
        foreach (var key in new[] { "bbox_mmap", "segm_mmap" })
        {
            Assert.True(trainLog["eval_metrics"]!.AsObject().ContainsKey(key), $"eval_metrics lacks {key}: {trainLog["eval_metrics"]!.ToJsonString()}");
        }

        // Evaluate offline: box and mask reports at the requested thresholds, then the Excel report with both.
        Expect.Ok(await Api.PostAsync("/project/task/evaluate", new { tid, score_thresh = 0.0, overlap_thresh = 0.5 }));
        JsonObject evaluated = [];
        await Polling.WaitUntilAsync(async () => (evaluated = await Api.GetAsync("/project/task/evaluate", new { tid }))["evaluate_status"]!.GetValue<int>() is 5 or 12, TimeSpan.FromMinutes(1));
        Assert.True(evaluated["evaluate_status"]!.GetValue<int>() == 5, evaluated.ToJsonString());
        var result = evaluated["result"]!.AsObject();
        Expect.Keys(result, "BBox_Confusion_Matrix", "BBox_mAP", "BBox_PRAP", "Mask_Confusion_Matrix", "Mask_mAP", "Mask_PRAP", "label_list", "epoch");
        Assert.Equal([.. ShapeDetectionGenerator.Classes, "back_ground"], result["label_list"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray());
        foreach (var part in new[] { "BBox_", "Mask_" })
        {
            Assert.Equal(4, result[part + "Confusion_Matrix"]!.AsArray().Count);
            Expect.Keys(result[part + "PRAP"]!["circle"]!.AsObject(), "precision", "recall", "AP");
        }

        // Above every score nothing is detected: each validation object lands in the background column.
        var validationObjects = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Server.Workspace, "datasets", did, "val.json")))!["annotations"]!.AsArray().Count;
        Expect.Ok(await Api.PostAsync("/project/task/evaluate", new { tid, score_thresh = 1.01, overlap_thresh = 0.5 }));
        await Polling.WaitUntilAsync(async () => (evaluated = await Api.GetAsync("/project/task/evaluate", new { tid }))["evaluate_status"]!.GetValue<int>() is 5 or 12, TimeSpan.FromMinutes(1));
        foreach (var part in new[] { "BBox_", "Mask_" })
        {
            var strict = evaluated["result"]![part + "Confusion_Matrix"]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();
            Assert.Equal(validationObjects, strict.Sum(r => r[3]));
            Assert.Equal(validationObjects, strict.Sum(r => r.Sum()));
            Assert.Equal(result[part + "mAP"]?.ToJsonString(), evaluated["result"]![part + "mAP"]?.ToJsonString()); // the mAP ignores score_thresh
        }

        var xlsx = Expect.Ok(await Api.GetAsync("/project/task/evaluate/file", new { tid }))["path"]!.GetValue<string>();
        using (var book = new XLWorkbook(xlsx))
        {
            var cells = book.Worksheet("评估报告").CellsUsed().Select(c => c.GetString()).ToHashSet();
            Assert.Superset(new HashSet<string> { "检测框mAP", "分割掩码mAP", "检测框混淆矩阵 (行: 真实类别, 列: 预测类别)", "分割掩码混淆矩阵 (行: 真实类别, 列: 预测类别)" }, cells);
        }

        // Predict the test split: each picture drawn beside its ground truth; results carry the masks as COCO RLE.
        Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, score_thresh = 0.0 }));
        Assert.Equal(1, (await PredictionFinishedAsync(tid))["predict_status"]!.GetValue<int>());
        var taskDir = Path.Combine(Server.Workspace, "projects", pid, tid);
        var results = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(taskDir, "logs", "predict", "results.json")))!.AsArray();
        Assert.NotEmpty(results);
        var withObjects = results.FirstOrDefault(r => r!["boxes"]!.AsArray().Count > 0) ?? throw new Xunit.Sdk.XunitException("no detection at score 0");
        var box = withObjects["boxes"]![0]!.AsObject();
        Expect.Keys(box, "category", "category_id", "score", "bbox", "segmentation", "area");
        Assert.Equal(
            $"[{withObjects["height"]!.GetValue<int>()},{withObjects["width"]!.GetValue<int>()}]",
            box["segmentation"]!["size"]!.ToJsonString());
        using (var drawn = SkiaSharp.SKBitmap.Decode(Path.Combine(taskDir, "visualized_test_results", withObjects["image"]!.GetValue<string>())))
        {
            Assert.True(drawn.Width > 400, "prediction and ground truth are drawn side by side");
        }

        // A workspace list (no ground truth) and an uploaded picture.
        var pictures = Directory.GetFiles(Path.Combine(source, "JPEGImages")).Order(StringComparer.Ordinal).ToArray();
        Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, img_list = pictures[..2] }));
        Assert.Equal(1, (await PredictionFinishedAsync(tid))["predict_status"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(taskDir, "visualized_test_results", Path.GetFileNameWithoutExtension(pictures[1]) + ".png")));
        Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, image_data = Convert.ToBase64String(await File.ReadAllBytesAsync(pictures[0])) }));
        Assert.Equal(1, (await PredictionFinishedAsync(tid))["predict_status"]!.GetValue<int>());
        using (var uploaded = SkiaSharp.SKBitmap.Decode(Path.Combine(taskDir, "visualized_test_results", "predict_result.png")))
        {
            Assert.InRange(uploaded.Width, 300, 400); // one panel: no ground truth for an upload
        }

        // Export: ONNX with the box post-processing and the mask head inside, described by model.json.
        var saveDir = Path.Combine(Server.Workspace, "exports", "maskrcnn_onnx");
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = saveDir }));
        JsonObject exported = [];
        await Polling.WaitUntilAsync(async () => (exported = await Api.GetAsync("/project/task/export", new { tid }))["export_status"]!.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(3));
        Assert.True(exported["export_status"]!.GetValue<int>() == 7, $"export failed: {exported.ToJsonString()}");
        var info = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(saveDir, "model.json")))!;
        Assert.Equal(("instance_segmentation", "ResNet50"), (info["task"]!.GetValue<string>(), info["backbone"]!.GetValue<string>()));
        Assert.True(new FileInfo(Path.Combine(saveDir, "model.onnx")).Length > 1_000_000);

        output.WriteLine($"process CPU time: {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:0.0} s");
    }
}
