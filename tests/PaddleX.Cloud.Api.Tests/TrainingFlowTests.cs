using System.Text.Json;
using System.Text.Json.Nodes;
using PaddleX.Cloud.Api.Tests.Infrastructure;

namespace PaddleX.Cloud.Api.Tests;

/// <summary>The API document's whole flow on the local server: import, split, recommended
/// parameters, task, training that learns, live metrics, the dashboard, stop and resume.</summary>
public sealed class TrainingFlowTests : ServerTestBase
{
    [Fact]
    public async Task A_small_classification_task_learns_and_reports_its_metrics()
    {
        var (pid, did) = await ImportedProjectAsync(perClass: 35);

        var recommended = Expect.Ok(await Api.GetQueryAsync($"/project/task/params?pid={pid}"))["train"]!.AsObject();
        Assert.Equal("MobileNetV2", recommended["model"]!.GetValue<string>());
        Assert.Equal(4, recommended["batch_size"]!.GetValue<int>());
        Expect.Error(await Api.GetAsync("/project/task/params", new { pid, model_type = "U-Net" }), "invalid_argument", "ResNet18");
        Assert.Empty(Expect.Ok(await Api.GetQueryAsync($"/project/task/params?pid={pid}"))["pretrain_weights_available"]!.AsArray()); // MobileNetV2: none here
        var resnet = Expect.Ok(await Api.GetAsync("/project/task/params", new { pid, model_type = "ResNet18" }));
        Assert.Equal("IMAGENET", resnet["train"]!["pretrain_weights"]!.GetValue<string>());
        Assert.Equal(["IMAGENET"], resnet["pretrain_weights_available"]!.AsArray().Select(s => s!.GetValue<string>()));

        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = TinyTraining.ResNet18(6, 4).ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Error(await Api.PutAsync("/project/task/train", new { tid, act = "stop" }), "invalid_state", "模型训练任务没在运行中");
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid }), "job_running");
        Expect.Error(await Api.PostAsync("/project/task/params", new { tid, train = "{\"num_epochs\": 2}" }), "invalid_state", "该任务不在初始化阶段，设置参数失败");

        var done = await WaitForTaskAsync(tid, s => s is 4 or 10, TimeSpan.FromMinutes(6));
        Assert.True(done["task_status"]!.GetValue<int>() == 4, $"training did not finish: {done.ToJsonString()}");

        var trainLog = Expect.Ok(await Api.GetQueryAsync($"/project/task/metrics?tid={tid}&type=train"))["train_log"]!.AsObject();
        Expect.Keys(trainLog, "log_file", "eta", "train_metrics", "eval_metrics", "download_status", "eval_done", "train_error", "train_stage", "running_duration");
        Assert.Equal("Train Complete", trainLog["train_stage"]!.GetValue<string>());
        Assert.True(trainLog["eval_done"]!.GetValue<bool>());
        Assert.Null(trainLog["train_error"]);
        foreach (var key in new[] { "Epoch", "Step", "loss", "lr", "acc1" })
        {
            Assert.True(trainLog["train_metrics"]!.AsObject().ContainsKey(key), $"train_metrics lacks {key}");
        }

        var eval = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "eval" }));
        var acc1 = eval["eval_metrics"]!["acc1"]!.GetValue<double>();
        Assert.True(acc1 >= 0.9, $"validation top-1 {acc1:F3} < 0.9 after 6 epochs");
        Assert.Equal(eval["eval_metric"]!.ToJsonString(), eval["eval_metrics"]!.ToJsonString());

        var all = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "eval_all" }));
        Assert.Equal(6, all["epoch_result_dict"]!.AsObject().Count);
        Assert.InRange(all["best_epoch"]!.GetValue<int>(), 1, 6);

        var history = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "history" }));
        Assert.Equal(6, history["epochs"]!.AsArray().Count);
        Assert.True(history["steps"]!.AsArray().Count >= 6);

        var log = Expect.Ok(await Api.GetAsync("/file", new { path = trainLog["log_file"]!.GetValue<string>() }))["log"]!.AsArray();
        Assert.Contains(log, l => l!.GetValue<string>().Contains("[TRAIN]", StringComparison.Ordinal));

        var vdl = Expect.Ok(await Api.GetAsync("/project/task/vdl", new { tid }));
        Assert.StartsWith($"127.0.0.1:{Server.Port}/project/task/vdl/board?tid={tid}", vdl["url"]!.GetValue<string>(), StringComparison.Ordinal);
        var page = await Api.Http.GetStringAsync(new Uri(vdl["href"]!.GetValue<string>()));
        Assert.Contains("<canvas id=\"loss\"", page, StringComparison.Ordinal);

        var resume = Expect.Ok(await Api.GetAsync("/project/task", new { tid, resume = 1 }));
        Assert.Equal(6, resume["max_saved_epochs"]!.GetValue<int>());
        Assert.False(resume["resumable"]!.GetValue<bool>());
        _ = did;
    }

    [Fact]
    public async Task Stop_ends_training_within_seconds_and_resume_continues_from_a_checkpoint()
    {
        var (pid, _) = await ImportedProjectAsync(perClass: 20);
        var train = TinyTraining.ResNet18(6, 4);
        train["num_epochs"] = 40;
        train["pretrain_weights"] = "COCO"; // no such weights for a classifier: scratch, and it must say so
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        await WaitUntilAsync(async () => (await Api.GetAsync("/project/task", new { tid, resume = 1 }))["max_saved_epochs"]!.GetValue<int>() >= 2, TimeSpan.FromMinutes(4));

        var trainLog = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "train" }))["train_log"]!;
        Assert.Equal("Failed", trainLog["download_status"]!.GetValue<string>());

        var stopAt = DateTime.UtcNow;
        Expect.Ok(await Api.PutAsync("/project/task/train", new { tid, act = "stop" }));
        Assert.Equal(8, Expect.Ok(await Api.GetAsync("/project/task", new { tid }))["task_status"]!.GetValue<int>());
        Expect.Error(await Api.PutAsync("/project/task/train", new { tid, act = "stop" }), "invalid_state");

        var saved = Expect.Ok(await Api.GetAsync("/project/task", new { tid, resume = 1 }));
        Assert.True(saved["resumable"]!.GetValue<bool>());
        Expect.Error(await Api.PutAsync("/project/task/train", new { tid, act = "resume", epoch = saved["max_saved_epochs"]!.GetValue<int>() + 50 }), "invalid_argument");
        Expect.Error(await Api.PutAsync("/project/task/train", new { tid, act = "pause" }), "invalid_argument");

        // Resume is refused while the worker still holds the stopped job; it lets go within seconds.
        var maxSaved = -1;
        await WaitUntilAsync(
            async () =>
            {
                maxSaved = (await Api.GetAsync("/project/task", new { tid, resume = 1 }))["max_saved_epochs"]!.GetValue<int>();
                var reply = await Api.PutAsync("/project/task/train", new { tid, act = "resume", epoch = maxSaved });
                return reply["status"]!.GetValue<int>() == 1 || reply["code"]!.GetValue<string>() != "job_running" && Expect.Ok(reply) is null;
            },
            TimeSpan.FromSeconds(20));
        Assert.True(DateTime.UtcNow - stopAt < TimeSpan.FromSeconds(20), "the stopped job was not released within 20 s");

        await WaitUntilAsync(async () => (await Api.GetAsync("/project/task", new { tid, resume = 1 }))["max_saved_epochs"]!.GetValue<int>() > maxSaved, TimeSpan.FromMinutes(3));
        Expect.Ok(await Api.PutAsync("/project/task/train", new { tid, act = "stop" }));
        var log = await File.ReadAllTextAsync(Path.Combine(Server.Workspace, "projects", pid, tid, "out.log"));
        Assert.Contains("Resume training from", log, StringComparison.Ordinal);
        Assert.Contains("'COCO' for ResNet18 unavailable", log, StringComparison.Ordinal);
        Assert.Contains("training from scratch", log, StringComparison.Ordinal);
        Assert.Contains($"epoch_{maxSaved}", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IMAGENET_for_ResNet18_loads_the_built_in_weights_and_reports_done()
    {
        var (pid, _) = await ImportedProjectAsync(perClass: 10);
        var train = TinyTraining.ResNet18(1, 1);
        train["pretrain_weights"] = "IMAGENET";
        var tid = Expect.Ok(await Api.PostAsync("/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
        Expect.Ok(await Api.PostAsync("/project/task/train", new { tid }));
        var done = await WaitForTaskAsync(tid, s => s is 4 or 10, TimeSpan.FromMinutes(6));
        Assert.True(done["task_status"]!.GetValue<int>() == 4, $"training did not finish: {done.ToJsonString()}");

        var trainLog = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "train" }))["train_log"]!;
        Assert.Equal("Done", trainLog["download_status"]!.GetValue<string>());
        var output = Path.Combine(Server.Workspace, "projects", pid, tid, "output");
        Assert.Contains("\"layout\": \"cntk\"", await File.ReadAllTextAsync(Path.Combine(output, "best_model", "trainer_state.json")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Server.Workspace, "pretrain", "IMAGENET", "ResNet18.dat")), "the import is cached in the workspace pretrain folder");
    }

    [Fact]
    public async Task Bad_train_requests_get_clear_errors()
    {
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid = "T0404" }), "task_not_found");
        Expect.Error(await Api.PostAsync("/project/task/train"), "missing_argument");
        var (_, _, tid) = await CreateTaskAsync();
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid }), "invalid_state", "切分");
        Expect.Error(await Api.PostAsync("/project/task/train", new { tid, pruned_flops = 0.2 }), "invalid_state", "不是裁剪训练任务");
        Expect.Error(await Api.GetAsync("/project/task/metrics", new { tid, type = "eval" }), "invalid_state");
        Expect.Error(await Api.GetAsync("/project/task/metrics", new { tid, type = "loss" }), "invalid_argument");
        var empty = Expect.Ok(await Api.GetAsync("/project/task/metrics", new { tid, type = "train" }))["train_log"]!.AsObject();
        Assert.Null(empty["log_file"]);
        Assert.False(empty["eval_done"]!.GetValue<bool>());
    }
}
