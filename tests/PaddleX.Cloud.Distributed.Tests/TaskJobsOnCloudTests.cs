using System.Text.Json.Nodes;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Training;
using Xunit.Abstractions;

namespace PaddleX.Cloud.Distributed.Tests;

/// <summary>Train, evaluate, predict and export on the cloud shape (API process, two worker processes, the
/// emulators): everything lands in Blob; a worker frozen past its lease loses the task to the other worker, which
/// resumes from the checkpoints in Blob with an empty cache of its own, while the frozen one, thawed, stops without
/// writing — the task is never trained by both at once.</summary>
public sealed class TaskJobsOnCloudTests(ITestOutputHelper output) : CloudShapeTestBase("tj", TimeSpan.FromSeconds(60))
{
    private const string SourcePrefix = "sources/tj";
    private const int Epochs = 8;

    private IArtifactStore artifacts = null!;
    private IMetadataStore metadata = null!;

    protected override IReadOnlyDictionary<string, string> ExtraSettings { get; } = new Dictionary<string, string>
    {
        // A frozen worker's lease lapses quickly; a thawed one notices the later claim within half a second.
        ["Jobs__LeaseDuration"] = "00:00:08",
        ["Worker__CancelCheckInterval"] = "00:00:00.500",
        ["Worker__Concurrency"] = "1",
        ["Training__TorchThreads"] = "1",
        ["Training__ProgressInterval"] = "00:00:00.200",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        artifacts = Backends.CreateArtifactStore();
        metadata = Backends.CreateMetadataStore();
    }

    [Fact]
    public async Task A_task_trains_once_across_a_frozen_worker_then_evaluates_predicts_and_exports_into_blob()
    {
        var (server, url) = StartServer();
        var one = StartWorker(new Dictionary<string, string> { ["Storage__CacheDirectory"] = NewFolder() }).Process;
        var two = StartWorker(new Dictionary<string, string> { ["Storage__CacheDirectory"] = NewFolder() }).Process;
        await server.WaitUntilAnswersAsync(Http, url + "/dataset", TimeSpan.FromSeconds(90));

        var tid = await PrepareTaskAsync(url);
        var taskPath = (await metadata.Tasks.GetAsync(tid))!.Path;
        await SendAsync(HttpMethod.Post, url + "/project/task/train", new { tid });

        // Whichever worker took the job is frozen once its first epoch is in Blob.
        await Polling.WaitUntilAsync(() => Took(one, 1) || Took(two, 1), TimeSpan.FromSeconds(60), what: "a worker takes the train job");
        var (frozen, other) = Took(one, 1) ? (one, two) : (two, one);
        await Polling.WaitUntilAsync(async () => await artifacts.ExistsAsync($"{taskPath}/output/epoch_1/{Checkpoints.SuccessMarker}"), TimeSpan.FromMinutes(3), what: "epoch 1 in Blob");
        await frozen.PauseAsync();
        output.WriteLine("froze worker " + frozen.Id);

        // The lease lapses; the other worker claims delivery 2 and resumes from Blob (its cache folder is empty).
        await Polling.WaitUntilAsync(() => Took(other, 2), TimeSpan.FromSeconds(60), what: "the other worker takes delivery 2");
        await Polling.WaitUntilAsync(async () => (await metadata.Tasks.GetAsync(tid))!.Jobs[JobKinds.Train].Delivery == 2, TimeSpan.FromSeconds(30), what: "delivery 2 claims the task");
        await frozen.ContinueAsync();
        await Polling.WaitUntilAsync(() => frozen.Output.Contains("superseded", StringComparison.Ordinal), TimeSpan.FromSeconds(60), what: "the thawed worker stops");

        await Polling.WaitUntilAsync(async () => await TaskStatusAsync(url, tid) is 4 or 10, TimeSpan.FromMinutes(5), what: "training ends");
        Assert.True(await TaskStatusAsync(url, tid) == 4, other.Output);
        output.WriteLine("frozen worker:\n" + frozen.Output + "\nother worker:\n" + other.Output);
        Assert.DoesNotContain("Finished train job", frozen.Output, StringComparison.Ordinal);
        Assert.Contains("Finished train job", other.Output, StringComparison.Ordinal);
        Assert.False(frozen.HasExited, frozen.Output); // it carries on taking jobs

        // One run's history: every epoch once, in order, resumed after epoch ≥ 1.
        var log = await ReadTextAsync($"{taskPath}/out.log");
        Assert.True(log.Contains("resumes from", StringComparison.Ordinal), log);
        var state = JsonNode.Parse(await ReadTextAsync($"{taskPath}/output/epoch_{Epochs}/{Checkpoints.StateFile}"))!;
        Assert.Equal(Enumerable.Range(1, Epochs), state["history"]!.AsArray().Select(h => h!["epoch"]!.GetValue<int>()));

        // Evaluate, predict and export: taken by either worker, results in Blob.
        await SendAsync(HttpMethod.Post, url + "/project/task/evaluate", new { tid });
        JsonNode evaluated = null!;
        await Polling.WaitUntilAsync(async () => (evaluated = await SendAsync(HttpMethod.Get, url + "/project/task/evaluate", new { tid }, expectOk: false))["evaluate_status"]!.GetValue<int>() is 5 or 12, TimeSpan.FromMinutes(2), what: "evaluation");
        Assert.True(evaluated["evaluate_status"]!.GetValue<int>() == 5, evaluated.ToJsonString());
        Assert.NotNull(evaluated["result"]!["Confusion_Matrix"]);

        await SendAsync(HttpMethod.Post, url + "/project/task/predict", new { tid });
        JsonNode predicted = null!;
        await Polling.WaitUntilAsync(async () => (predicted = await SendAsync(HttpMethod.Get, url + "/project/task/predict", new { tid }))["predict_status"]!.GetValue<int>() is 1 or 2, TimeSpan.FromMinutes(2), what: "prediction");
        Assert.True(predicted["predict_status"]!.GetValue<int>() == 1, predicted.ToJsonString());
        Assert.NotEmpty(await artifacts.ListAsync($"{taskPath}/visualized_test_results"));

        await SendAsync(HttpMethod.Post, url + "/project/task/export", new { tid, type = "infer", save_dir = "exports/tj_onnx" });
        JsonNode exported = null!;
        await Polling.WaitUntilAsync(async () => (exported = await SendAsync(HttpMethod.Get, url + "/project/task/export", new { tid }, expectOk: false))["export_status"]!.GetValue<int>() is 7 or 13, TimeSpan.FromMinutes(2), what: "export");
        Assert.True(exported["export_status"]!.GetValue<int>() == 7, (await metadata.Tasks.GetAsync(tid))!.Jobs[JobKinds.Export].Message + one.Output[^Math.Min(one.Output.Length, 4000)..] + two.Output[^Math.Min(two.Output.Length, 4000)..]);
        Assert.True(await artifacts.ExistsAsync("exports/tj_onnx/model.onnx"));
        Assert.Contains("classification", await ReadTextAsync("exports/tj_onnx/model.json"), StringComparison.Ordinal);
    }

    private static bool Took(ChildProcess worker, int delivery) =>
        worker.Output.Split('\n').Any(line => line.Contains("Starting train job", StringComparison.Ordinal) && line.Contains($"delivery {delivery})", StringComparison.Ordinal));

    private async Task<int> TaskStatusAsync(string url, string tid) =>
        (await SendAsync(HttpMethod.Get, url + "/project/task", new { tid }))["task_status"]!.GetValue<int>();

    private async Task<string> ReadTextAsync(string path)
    {
        await using var stream = await artifacts.OpenReadAsync(path);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>A 3-class set of small pictures in Blob, imported and split; a project on it; a task sized to take several seconds an epoch.</summary>
    private async Task<string> PrepareTaskAsync(string url)
    {
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 14; i++)
            {
                // Classes differ in colour so the evaluation has something to measure.
                var (r, g, b) = c switch { 0 => ((byte)200, (byte)40, (byte)40), 1 => ((byte)40, (byte)200, (byte)40), _ => ((byte)40, (byte)40, (byte)200) };
                var bytes = TestImages.Bmp(32, 32, (x, y) => ((byte)(r + ((x * 7 + y * 3 + i) % 30)), (byte)(g + ((x + y * 5 + i) % 30)), (byte)(b + ((x * 3 + y + i) % 30))));
                using var content = new MemoryStream(bytes);
                await artifacts.WriteAsync($"{SourcePrefix}/class{c}/img_{i:D2}.bmp", content);
            }
        }

        var did = (await SendAsync(HttpMethod.Post, url + "/dataset", new { name = "云端", desc = "task jobs", dataset_type = "classification" }))["did"]!.GetValue<string>();
        await SendAsync(HttpMethod.Put, url + "/dataset", new { did, path = SourcePrefix });
        await Polling.WaitUntilAsync(async () => (await SendAsync(HttpMethod.Get, url + "/dataset", new { did }))["dataset_status"]!.GetValue<int>() is 4 or 2 or 5, TimeSpan.FromMinutes(2), what: "import");
        var imported = await SendAsync(HttpMethod.Get, url + "/dataset", new { did });
        Assert.True(imported["dataset_status"]!.GetValue<int>() == 4, imported.ToJsonString() + (await metadata.Datasets.GetAsync(did))!.State.Message);
        await SendAsync(HttpMethod.Put, url + "/dataset/split", new { did, val_split = 0.2, test_split = 0.1, seed = 1 });
        var pid = (await SendAsync(HttpMethod.Post, url + "/project", new { name = "云端项目", desc = "d", project_type = "classification" }))["pid"]!.GetValue<string>();
        await SendAsync(HttpMethod.Put, url + "/workspace", new { @struct = "project", id = pid, attr_dict = new { did } });
        var train = new JsonObject
        {
            ["model"] = "ResNet18",
            ["image_shape"] = new JsonArray(32, 32),
            ["batch_size"] = 2,
            ["num_epochs"] = Epochs,
            ["save_interval_epochs"] = 1,
            ["learning_rate"] = 0.01,
            ["lr_decay_epochs"] = new JsonArray(100),
            ["pretrain_weights"] = string.Empty,
            ["seed"] = 1,
        };
        return (await SendAsync(HttpMethod.Post, url + "/project/task", new { pid, train = train.ToJsonString() }))["tid"]!.GetValue<string>();
    }
}
