using System.Text.Json;
using System.Text.Json.Nodes;
using ClosedXML.Excel;
using PaddleX.Cloud.Api.Tests.Infrastructure;
using PaddleX.Cloud.Inference;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>After a short training: evaluate (result, xlsx report, confusion-matrix picture) and
/// predict (uploaded picture, workspace list, test split, undecodable picture) over HTTP.</summary>
public sealed class EvaluatePredictExportTests : ServerTestBase
{
    [Fact]
    public async Task A_trained_task_is_evaluated_reported_in_excel_and_predicts_pictures()
    {
        var (pid, tid, source) = await TrainedTaskAsync();

        // Before any run: status 1 with null states.
        var none = Expect.Ok(await Api.GetAsync("/project/task/evaluate", new { tid }));
        Assert.Null(none["evaluate_status"]);
        Assert.Null(Expect.Ok(await Api.GetAsync("/project/task/predict", new { tid }))["predict_status"]);
        var notYet = await Api.GetAsync("/project/task/evaluate/file", new { tid });
        Assert.Equal(-1, notYet["status"]!.GetValue<int>());
        Assert.Equal("评估尚未完成或评估失败", notYet["message"]!.GetValue<string>());
        Assert.Null(notYet["path"]);
        Expect.Error(await Api.PostAsync("/project/task/evaluate", new { tid, epoch = 99 }), "invalid_state", "epoch_99");

        // Evaluate the best model with the documented defaults (only tid given).
        Expect.Ok(await Api.PostAsync("/project/task/evaluate", new { tid }));
        JsonObject evaluated = [];
        await Polling.WaitUntilAsync(
            async () =>
            {
                evaluated = await Api.GetAsync("/project/task/evaluate", new { tid });
                return evaluated["evaluate_status"]!.GetValue<int>() is 5 or 12;
            },
            TimeSpan.FromMinutes(1));
        Assert.Equal(1, evaluated["status"]!.GetValue<int>());
        Assert.Equal($"{tid}评估完成", evaluated["message"]!.GetValue<string>());
        var result = evaluated["result"]!.AsObject();
        Expect.Keys(result, "Confusion_Matrix", "PRF1", "PRF1_average", "Acc1", "Acck", "topk", "label_list", "epoch");
        Assert.Equal(4, result["topk"]!.GetValue<int>()); // min(5, 4 labels)
        Assert.Equal(1.0, result["Acck"]!.GetValue<double>());
        var labels = result["label_list"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
        Assert.Equal(ShapesDataset.Labels, labels);
        var matrix = result["Confusion_Matrix"]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();
        var total = matrix.Sum(r => r.Sum());
        var diagonal = Enumerable.Range(0, 4).Sum(i => matrix[i][i]);
        Assert.Equal((double)diagonal / total, result["Acc1"]!.GetValue<double>(), 9);
        var bestAcc = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "eval" }))["eval_metrics"]!["acc1"]!.GetValue<double>();
        Assert.Equal(bestAcc, result["Acc1"]!.GetValue<double>(), 6);
        Assert.True(File.Exists(evaluated["path"]!.GetValue<string>()));
        var confusionPng = Path.Combine(Server.Workspace, "projects", pid, tid, "confusion_matrix.png");
        var served64 = Expect.Ok(await Api.GetAsync("/file", new { path = confusionPng }))["img_data"]!.GetValue<string>();
        using (var png = SkiaSharp.SKBitmap.Decode(Convert.FromBase64String(served64)))
        {
            Assert.True(png.Width >= 300, "the confusion-matrix picture is served through /file");
        }

        // The Excel report, read back as cell values.
        var file = Expect.Ok(await Api.GetAsync("/project/task/evaluate/file", new { tid }));
        Assert.Equal("成功导出结果到excel", file["message"]!.GetValue<string>());
        var xlsx = file["path"]!.GetValue<string>();
        Assert.EndsWith($"report-task{tid}.xlsx", xlsx, StringComparison.Ordinal);
        var downloaded = await Api.Http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{Server.Port}/file?path={Uri.EscapeDataString(xlsx)}"));
        Assert.Equal(await File.ReadAllBytesAsync(xlsx), downloaded);
        using (var book = new XLWorkbook(xlsx))
        {
            var sheet = book.Worksheet("评估报告");
            var cells = sheet.CellsUsed().ToList();
            var acc1Title = cells.Single(c => c.GetString() == "Top1准确率");
            Assert.Equal(Math.Round(result["Acc1"]!.GetValue<double>(), 4), sheet.Cell(acc1Title.Address.RowNumber + 1, 1).GetDouble(), 9);
            var prfHeader = cells.First(c => c.GetString() == "类别");
            var headerRow = prfHeader.Address.RowNumber;
            Assert.Equal("precision", sheet.Cell(headerRow, 2).GetString());
            var firstLabel = sheet.Cell(headerRow + 1, 1).GetString();
            Assert.Equal(labels[0], firstLabel);
            Assert.Equal(Math.Round(result["PRF1"]![labels[0]]!["precision"]!.GetValue<double>(), 4), sheet.Cell(headerRow + 1, 2).GetDouble(), 9);
            var matrixTitle = cells.Single(c => c.GetString().StartsWith("混淆矩阵", StringComparison.Ordinal));
            var m0 = matrixTitle.Address.RowNumber + 2;
            for (var j = 0; j < 4; j++)
            {
                Assert.Equal(matrix[0][j], sheet.Cell(m0, j + 2).GetDouble());
            }
        }

        // Predict an uploaded picture.
        var picture = Path.Combine(source, "disc", "disc_0.png");
        var posted = Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, image_data = Convert.ToBase64String(await File.ReadAllBytesAsync(picture)) }));
        var resultPng = posted["path"]!.GetValue<string>();
        Assert.EndsWith("visualized_test_results/predict_result.png", resultPng.Replace('\\', '/'), StringComparison.Ordinal);
        var state = await PredictionFinishedAsync(tid);
        Assert.Equal(1, state["predict_status"]!.GetValue<int>());
        Assert.Equal(1, state["predict_num"]!.GetValue<int>());
        Assert.Equal(1, state["total_num"]!.GetValue<int>());
        using (var bitmap = SkiaSharp.SKBitmap.Decode(resultPng))
        {
            Assert.True(bitmap.Width > 300);
        }

        // Predict a list of workspace pictures; paths outside the workspace are refused.
        var list = new[] { picture, Path.Combine(source, "square", "square_1.png") };
        var listed = Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, img_list = list }));
        Assert.False(listed.ContainsKey("path"));
        state = await PredictionFinishedAsync(tid);
        Assert.Equal(1, state["predict_status"]!.GetValue<int>());
        Assert.Equal(2, state["total_num"]!.GetValue<int>());
        Assert.Equal(2, state["predict_num"]!.GetValue<int>());
        var results = Path.Combine(Server.Workspace, "projects", pid, tid, "visualized_test_results");
        Assert.True(File.Exists(Path.Combine(results, "disc_disc_0.png")));
        Assert.True(File.Exists(Path.Combine(results, "square_square_1.png")));
        var served = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Server.Workspace, "projects", pid, tid, "logs", "predict", "results.json")))!.AsArray();
        Assert.Equal(2, served.Count);
        Expect.Error(await Api.PostAsync("/project/task/predict", new { tid, img_list = new[] { "/etc/passwd" } }), "path_not_allowed");

        // An undecodable picture fails clearly instead of hanging.
        Expect.Ok(await Api.PostAsync("/project/task/predict", new { tid, image_data = Convert.ToBase64String("not a picture"u8.ToArray()) }));
        state = await PredictionFinishedAsync(tid);
        Assert.Equal(2, state["predict_status"]!.GetValue<int>());
        Assert.Contains("无法解码", state["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Prediction does not change the task status (still evaluated).
        Assert.Equal(5, Expect.Ok(await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>());

        // Stopping when nothing runs still answers with the state.
        var stopped = Expect.Ok(await Api.PutAsync("/project/task/predict", new { tid }));
        Assert.Equal(2, stopped["predict_status"]!.GetValue<int>());

        // Export: ONNX + model.json into a workspace folder; the inference package agrees with the service.
        Assert.Null(Expect.Ok(await Api.GetAsync("/project/task/export", new { tid }))["export_status"]);
        var saveDir = Path.Combine(Server.Workspace, "exports", "shapes_onnx");
        Expect.Error(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = "/tmp/outside" }), "path_not_allowed");
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "inference", tid, save_dir = saveDir }));
        var exported = await WaitForExportAsync(tid);
        Assert.Equal(7, exported["export_status"]!.GetValue<int>());
        Assert.Equal($"恭喜您，{tid}任务模型导出成功！", exported["message"]!.GetValue<string>());
        using (var classifier = new ExportedClassifier(saveDir))
        {
            Assert.Equal(labels, classifier.Info.Labels);
            foreach (var entry in served)
            {
                var original = entry!["image"]!.GetValue<string>() == "disc_disc_0.png" ? picture : Path.Combine(source, "square", "square_1.png");
                var local = classifier.Predict(original);
                Assert.Equal(entry["label"]!.GetValue<string>(), local.Label);
                Assert.Equal(entry["score"]!.GetValue<double>(), local.Score, 3);
            }
        }

        var liteDir = Path.Combine(Server.Workspace, "exports", "shapes_lite");
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "lite", tid, save_dir = liteDir }));
        Assert.Equal(7, (await WaitForExportAsync(tid))["export_status"]!.GetValue<int>());
        Assert.True(new FileInfo(Path.Combine(liteDir, "model.onnx")).Length < new FileInfo(Path.Combine(saveDir, "model.onnx")).Length * 0.6);
        Expect.Ok(await Api.PutAsync("/project/task/export", new { tid }));
        await ExportsInt8Async(pid, tid, bestAcc, saveDir, source, picture);

        // Model registry: a pretrained model from the best model, an exported model, details by id.
        var pmid = Expect.Ok(await Api.PostAsync("/model", new { type = "pretrained", pid, tid, name = "形状预训练" }))["pmid"]!.GetValue<string>();
        Assert.StartsWith("PM", pmid, StringComparison.Ordinal);
        var emid = Expect.Ok(await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "形状ONNX", path = saveDir, exported_type = 0 }))["emid"]!.GetValue<string>();
        Expect.Error(await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "x", path = "/etc" }), "path_not_allowed");
        var details = Expect.Ok(await Api.GetAsync("/model", new { mid = pmid }));
        Assert.Equal("形状", details["dataset_attr"]!["name"]!.GetValue<string>());
        Assert.Equal(4, details["dataset_attr"]!["labels"]!.AsArray().Count);
        Assert.True(details["dataset_attr"]!["train_num"]!.GetValue<int>() > 0);
        Assert.Equal("ResNet18", JsonNode.Parse(details["task_params"]!.GetValue<string>())!["model"]!.GetValue<string>());
        Assert.Equal(result["Acc1"]!.GetValue<double>(), JsonNode.Parse(details["eval_result"]!.GetValue<string>())!["Acc1"]!.GetValue<double>(), 9);
        Assert.NotNull(Expect.Ok(await Api.GetAsync("/model", new { mid = emid }))["task_params"]);
        var listed2 = Expect.Ok(await Api.GetAsync("/model", new { type = "exported" }))["exported_models"]!.AsArray();
        Assert.Contains(listed2, m => m!["id"]!.GetValue<string>() == emid);
        Assert.True(File.Exists(Path.Combine(Server.Workspace, "pretrain", pmid, "model.dat")));

        // A new task trained one epoch from the pretrained model starts at the parent's accuracy.
        var child = TinyTraining.ResNet18(3, 2);
        child["num_epochs"] = 1;
        child["learning_rate"] = 0.0001;
        child["pretrain_weights"] = pmid;
        var childTid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = child.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid = childTid }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task", new { tid = childTid }))["task_status"]!.GetValue<int>() is 4 or 10, TimeSpan.FromMinutes(2));
        var childAcc = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid = childTid, type = "eval" }))["eval_metrics"]!["acc1"]!.GetValue<double>();
        Assert.True(childAcc >= bestAcc - 0.1, $"fine-tuned from {pmid}: {childAcc:F3} vs parent {bestAcc:F3}");
    }

    /// <summary>int8 export (quant: true): progress in quant_log, metrics before/after in quant_result, a file a
    /// quarter of the float32 one, the inference package runs it as it runs the float32 model, the registry takes it.</summary>
    private async Task ExportsInt8Async(string pid, string tid, double bestAcc, string floatDir, string source, string picture)
    {
        var int8Dir = Path.Combine(Server.Workspace, "exports", "shapes_int8");
        Expect.Error(await Api.PostAsync("/project/task/export", new { type = "lite", tid, save_dir = int8Dir, quant = true }), "invalid_argument", "infer");
        Expect.Error(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = int8Dir, quant = true, quant_method = "mse" }), "invalid_argument", "kl");
        Expect.Error(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = "/tmp/outside", quant = true }), "path_not_allowed");
        Expect.Error(await Api.PostAsync("/project/task/export", new { type = "infer", tid = "T9999", save_dir = int8Dir, quant = true }), "task_not_found");
        Assert.False(Directory.Exists(int8Dir));

        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = int8Dir, quant = true }));
        var exported = await WaitForExportAsync(tid);
        Assert.True(exported["export_status"]!.GetValue<int>() == 7, exported.ToJsonString());
        var log = Expect.Ok(await Api.GetAsync("/project/task/export", new { tid, quant = "log" }))["quant_log"]!;
        Assert.Equal("Finish", log["stage"]!.GetValue<string>());
        Assert.Equal(1.0, log["running_duration"]!.GetValue<double>());
        var logText = await File.ReadAllTextAsync(log["log_file"]!.GetValue<string>());
        var stages = new[] { "[Run batch data] Batch=1/", "[Calculate weight] Weight_id=1/", "[Calculate activation] Activation_id=1/", "Finish quant!" }
            .Select(marker => logText.IndexOf(marker, StringComparison.Ordinal)).ToArray();
        Assert.True(stages.All(i => i >= 0) && stages.Order().SequenceEqual(stages), $"stages out of order in:\n{logText}");

        var result = Expect.Ok(await Api.GetAsync("/project/task/export", new { tid, quant = "result" }))["quant_result"]!;
        Expect.Keys(result["before"]!.AsObject(), "acc1", "acc4");
        Expect.Keys(result["after"]!.AsObject(), "acc1", "acc4");
        // The float32 graph in ONNX Runtime scores what training's validation scored. This short training leaves
        // the classifier near its decision boundaries, so int8 may flip a few of the 24 pictures: the accuracy
        // bound is tested on a converged model (Vision.Tests QuantisedExportTests).
        Assert.Equal(bestAcc, result["before"]!["acc1"]!.GetValue<double>(), 6);
        Assert.InRange(result["after"]!["acc1"]!.GetValue<double>(), 0, 1);

        var floatSize = new FileInfo(Path.Combine(floatDir, "model.onnx")).Length;
        var int8Size = new FileInfo(Path.Combine(int8Dir, "model.onnx")).Length;
        Assert.True(int8Size <= floatSize * 0.3, $"int8 model {int8Size} bytes, float32 {floatSize}");
        var info = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(int8Dir, "model.json")))!;
        Assert.Equal("int8", info["weights"]!.GetValue<string>());
        var quantisation = info["quantisation"]!;
        Assert.True(quantisation["quantised"]!.GetValue<bool>());
        Assert.Equal(("int8", "kl"), (quantisation["precision"]!.GetValue<string>(), quantisation["calibration_method"]!.GetValue<string>()));
        Assert.Equal(int8Size, quantisation["file_size"]!.GetValue<long>());
        Assert.Equal(floatSize, quantisation["float32_file_size"]!.GetValue<long>());

        // Same API as the float32 export. How close int8 stays to float32 is asserted on converged models
        // (Vision QuantisedExportTests); this task stops far from convergence, where single pictures can move a lot.
        using (var classifier = new ExportedClassifier(int8Dir))
        using (var reference = new ExportedClassifier(floatDir))
        {
            Assert.Equal(("int8", "float32"), (classifier.Info.Weights, reference.Info.Weights));
            foreach (var original in new[] { picture, Path.Combine(source, "square", "square_1.png") })
            {
                var (int8, fp32) = (classifier.Predict(original).Probabilities, reference.Predict(original).Probabilities);
                Assert.Equal(fp32.Length, int8.Length);
                Assert.InRange(int8.Sum(), 0.999, 1.001);
                Assert.All(int8, p => Assert.InRange(p, 0, 1));
            }
        }

        // The registry takes the int8 folder like any export.
        var emid = Expect.Ok(await Api.PostAsync("/model", new { type = "exported", pid, tid, name = "形状int8", path = int8Dir, exported_type = 0 }))["emid"]!.GetValue<string>();
        Assert.NotNull(Expect.Ok(await Api.GetAsync("/model", new { mid = emid }))["task_params"]);

        // A later plain export starts a fresh log: no stale quantisation progress or result.
        Expect.Ok(await Api.PostAsync("/project/task/export", new { type = "infer", tid, save_dir = floatDir }));
        Assert.Equal(7, (await WaitForExportAsync(tid))["export_status"]!.GetValue<int>());
        Assert.Null(Expect.Ok(await Api.GetAsync("/project/task/export", new { tid, quant = "log" }))["quant_log"]!["stage"]);
        Assert.Empty(Expect.Ok(await Api.GetAsync("/project/task/export", new { tid, quant = "result" }))["quant_result"]!.AsObject());
    }

    private async Task<JsonObject> WaitForExportAsync(string tid)
    {
        JsonObject state = [];
        await Polling.WaitUntilAsync(
            async () =>
            {
                state = await Api.GetAsync("/project/task/export", new { tid });
                return state["export_status"]!.GetValue<int>() is 7 or 13;
            },
            TimeSpan.FromMinutes(1));
        return state;
    }


    private async Task<(string Pid, string Tid, string Source)> TrainedTaskAsync()
    {
        var source = ShapesDataset.Write(Path.Combine(Server.Workspace, "import", "shapes"), 20);
        var did = await CreateDatasetAsync("形状");
        Expect.Ok(await Api.PutAsync("/dataset", new { did, path = source }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/dataset", new { did }))["dataset_status"]!.GetValue<int>() is 4 or 2 or 5, TimeSpan.FromMinutes(2));
        Expect.Ok(await Api.PutAsync("/dataset/split", new { did, val_split = 0.3, test_split = 0.1, seed = 1 }));
        var pid = await CreateProjectAsync("形状分类");
        Expect.Ok(await Api.PutAsync("/workspace", new { @struct = "project", id = pid, attr_dict = new { did } }));
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = TinyTraining.ResNet18(3, 2).ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Error(await Api.PostAsync("/project/task/evaluate", new { tid }), "invalid_state", "best_model");
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        await Polling.WaitUntilAsync(async () => (await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>() is 4 or 10, TimeSpan.FromMinutes(4));
        Assert.Equal(4, (await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>());
        return (pid, tid, source);
    }
}
