using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>The evaluate job on a hand-made detection / instance-segmentation task folder whose best model holds
/// an <c>eval_details.json</c> (the engine's validation results): the report lands in <c>eval_res.json</c>.</summary>
public sealed class DetectionEvaluateJobTests : IDisposable
{
    private readonly string workspace = Path.Combine(Path.GetTempPath(), "paddlex-tests", "det-eval-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(workspace))
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    // Two classes on one 64×48 picture: a cat found, a false "cat" elsewhere (background row), a dog missed and a
    // false "dog" alarm below the score threshold.
    private const string GroundTruth = """
        {"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
         "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
         "annotations": [
           {"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 20], "area": 400, "iscrowd": 0,
            "segmentation": [[4, 4, 24, 4, 24, 24, 4, 24]]},
           {"id": 2, "image_id": 1, "category_id": 2, "bbox": [36, 20, 24, 20], "area": 480, "iscrowd": 0,
            "segmentation": [[36, 20, 60, 20, 60, 40, 36, 40]]}]}
        """;

    private const string Boxes = """
        [{"image_id": 1, "category_id": 1, "bbox": [5, 4, 20, 20], "score": 0.9},
         {"image_id": 1, "category_id": 1, "bbox": [40, 0, 10, 10], "score": 0.7},
         {"image_id": 1, "category_id": 2, "bbox": [0, 30, 10, 10], "score": 0.2}]
        """;

    [Fact]
    public async Task A_detection_checkpoint_is_evaluated_offline_at_the_requested_thresholds()
    {
        var (metadata, handler, tid) = await SeedAsync("detection", $$"""{"gt": {{GroundTruth}}, "bbox": {{Boxes}}}""");

        var result = await EvaluateAsync(metadata, handler, tid, """{"epoch": null, "topk": 5, "score_thresh": 0.5, "overlap_thresh": 0.5}""");

        Assert.Equal(["cat", "dog", "back_ground"], result["label_list"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("[[1,0,0],[0,0,1],[1,0,0]]", result["Confusion_Matrix"]!.ToJsonString());
        Assert.Equal(0.5, result["mAP"]!.GetValue<double>(), 12); // cat AP 1, dog AP 0
        Assert.Equal(0.5, result["PRAP"]!["cat"]!["precision"]!.GetValue<double>(), 12);
        Assert.Equal(1.0, result["PRAP"]!["cat"]!["recall"]!.GetValue<double>(), 12);
        Assert.Equal(1.0, result["PRAP"]!["cat"]!["AP"]!.GetValue<double>(), 12);
        Assert.Equal(-1, result["PRAP"]!["dog"]!["precision"]!.GetValue<double>());
        Assert.Equal(0.0, result["PRAP"]!["dog"]!["AP"]!.GetValue<double>());
        Assert.True(File.Exists(Path.Combine(workspace, "projects", "P0001", "tasks", tid, EvaluateJobHandler.ConfusionPng)));

        // A lower score threshold lets the dog alarm in; the overlap default (0.3) applies when none is given.
        var loose = await EvaluateAsync(metadata, handler, tid, """{"score_thresh": 0.1}""");
        Assert.Equal("[[1,0,0],[0,0,1],[1,1,0]]", loose["Confusion_Matrix"]!.ToJsonString());
    }

    [Fact]
    public async Task An_instance_segmentation_checkpoint_gets_box_and_mask_reports()
    {
        // The cat's mask result is its left half (IoU 0.5), the box exact.
        var masks = """
            [{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {"size": [48, 64], "counts": "T6d0l000000000000000000lZ2"}}]
            """;
        var (metadata, handler, tid) = await SeedAsync("instance_segmentation", $$"""{"gt": {{GroundTruth}}, "bbox": [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 20], "score": 0.9}], "mask": {{masks}}}""");

        var result = await EvaluateAsync(metadata, handler, tid, """{"score_thresh": 0.5, "overlap_thresh": 0.4}""");

        foreach (var key in new[] { "BBox_Confusion_Matrix", "BBox_mAP", "BBox_PRAP", "Mask_Confusion_Matrix", "Mask_mAP", "Mask_PRAP", "label_list" })
        {
            Assert.True(result.ContainsKey(key), key);
        }

        Assert.Equal("[[1,0,0],[0,0,1],[0,0,0]]", result["BBox_Confusion_Matrix"]!.ToJsonString());
        Assert.Equal("[[1,0,0],[0,0,1],[0,0,0]]", result["Mask_Confusion_Matrix"]!.ToJsonString());
        Assert.Equal(1.0, result["BBox_PRAP"]!["cat"]!["AP"]!.GetValue<double>(), 9);
        Assert.Equal(0.0, result["BBox_PRAP"]!["dog"]!["AP"]!.GetValue<double>(), 9); // ground truth, no detection
        Assert.Equal(0.5, result["BBox_mAP"]!.GetValue<double>(), 9);

        var strict = await EvaluateAsync(metadata, handler, tid, """{"score_thresh": 0.5, "overlap_thresh": 0.6}""");
        Assert.Equal("[[0,0,1],[0,0,1],[1,0,0]]", strict["Mask_Confusion_Matrix"]!.ToJsonString());
        Assert.Equal(0.0, strict["Mask_PRAP"]!["cat"]!["AP"]!.GetValue<double>(), 9);
    }

    [Fact]
    public async Task A_broken_evaluation_file_fails_the_job_with_a_message_and_writes_no_result()
    {
        var (metadata, handler, tid) = await SeedAsync("detection", $$"""{"gt": {{GroundTruth}}, "bbox": [{"image_id": 1, "category_id": 7, "bbox": [0, 0, 2, 2], "score": 0.9}]}""");

        var message = await StartAsync(metadata, tid, "{}");
        await handler.RunAsync(new JobContext(message, 1, new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, CancellationToken.None));

        var job = (await metadata.Tasks.GetAsync(tid))!.Jobs[JobKinds.Evaluate];
        Assert.Equal((int)Contracts.TaskStatus.XEVALUATEFAIL, job.Status);
        Assert.Contains("category id 7", job.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(workspace, "projects", "P0001", "tasks", tid, EvaluateJobHandler.ResultFile)));
    }

    private async Task<(LocalMetadataStore Metadata, EvaluateJobHandler Handler, string Tid)> SeedAsync(string type, string evalDetails)
    {
        var metadata = new LocalMetadataStore(workspace);
        await metadata.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "shapes", Type = type, Path = $"datasets/{id}" });
        await metadata.Projects.CreateAsync(id => new Project { Id = id, Name = "p", Type = type, Did = "D0001" });
        var task = await metadata.Tasks.CreateAsync(id => new TaskInfo { Id = id, Pid = "P0001", Path = $"projects/P0001/tasks/{id}", ParamsJson = "{}" });
        var best = Path.Combine(workspace, task.Path, "output", "best_model");
        Directory.CreateDirectory(best);
        await File.WriteAllTextAsync(Path.Combine(best, "eval_details.json"), evalDetails);
        await File.WriteAllTextAsync(Path.Combine(best, ".success"), string.Empty);
        return (metadata, new EvaluateJobHandler(metadata, new LocalArtifactStore(workspace), NullLogger<EvaluateJobHandler>.Instance), task.Id);
    }

    private async Task<JsonObject> EvaluateAsync(LocalMetadataStore metadata, EvaluateJobHandler handler, string tid, string parameters)
    {
        var message = await StartAsync(metadata, tid, parameters);
        await handler.RunAsync(new JobContext(message, 1, new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, CancellationToken.None));
        var job = (await metadata.Tasks.GetAsync(tid))!.Jobs[JobKinds.Evaluate];
        Assert.True(job.Status == (int)Contracts.TaskStatus.XEVALUATED, job.Message);
        var task = (await metadata.Tasks.GetAsync(tid))!;
        return JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(workspace, task.Path, EvaluateJobHandler.ResultFile)))!.AsObject();
    }

    /// <summary>What POST /project/task/evaluate records before it enqueues the job.</summary>
    private static async Task<JobMessage> StartAsync(LocalMetadataStore metadata, string tid, string parameters)
    {
        var message = JobMessageFactory.Create(JobKinds.Evaluate, "local", tid, parameters);
        await metadata.Tasks.UpdateAsync(tid, t =>
        {
            t.Jobs[JobKinds.Evaluate] = new JobState { JobId = message.JobId, Status = (int)Contracts.TaskStatus.XEVALUATING };
            t.State = new JobState { Status = (int)Contracts.TaskStatus.XEVALUATING };
        });
        return message;
    }
}
