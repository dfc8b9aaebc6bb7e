using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Vision.Tests;
using PaddleX.Cloud.Vision.Training;
using PaddleX.Cloud.Worker.Hosting;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>A replica stopped mid-epoch (scale-in, new revision) publishes an interruption checkpoint
/// before it hands the train job back; the replica that gets the job next continues from that batch.</summary>
public sealed class TrainShutdownTests : IDisposable
{
    private const int StepsPerEpoch = 16; // 4 classes × 8 images, batch 2

    private readonly string workspace = Path.Combine(Path.GetTempPath(), "paddlex-tests", "shutdown-" + Guid.NewGuid().ToString("N"));
    private readonly SyntheticDataset data = new(trainPerClass: 8, valPerClass: 1, testPerClass: 0, size: 32);

    public void Dispose()
    {
        data.Dispose();
        if (Directory.Exists(workspace))
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task A_job_handed_back_on_shutdown_leaves_an_interruption_checkpoint_its_redelivery_resumes_from()
    {
        var store = Path.Combine(workspace, "store");
        var metadata = new LocalMetadataStore(store);
        var shared = new LocalArtifactStore(store);
        const string Params = """{"model": "ResNet18", "image_shape": [32, 32], "batch_size": 2, "num_epochs": 2, "learning_rate": 0.01, "lr_decay_epochs": [5], "save_interval_epochs": 1, "pretrain_weights": "", "seed": 1}""";
        var task = await TrainingWorkspace.SeedAsync(metadata, store, data.Dir, Params);
        var message = JobMessageFactory.Create(JobKinds.Train, "local", task.Id);
        await metadata.Tasks.UpdateAsync(task.Id, t =>
        {
            t.Jobs[JobKinds.Train] = new JobState { JobId = message.JobId, Status = (int)Contracts.TaskStatus.XTRAINING };
            t.State = new JobState { Status = (int)Contracts.TaskStatus.XTRAINING };
        });
        using var queue = new LocalJobQueue(Path.Combine(workspace, "queue"));
        await queue.EnqueueAsync(message);

        // Replica 1 is stopped during epoch 2.
        using (var first = await StartReplicaAsync(metadata, shared, queue, "replica-1"))
        {
            await Polling.WaitUntilAsync(async () => Progress(await metadata.Tasks.GetAsync(task.Id)) is { Epoch: 2, Step: >= 2 }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
            await first.StopAsync(CancellationToken.None);
        }

        // Handed back, not failed or stopped; the checkpoint is in the shared store, not only on the replica.
        Assert.Equal([message.JobId], queue.PendingIds());
        Assert.Empty(queue.DeadLetters());
        Assert.Equal((int)Contracts.TaskStatus.XTRAINING, (await metadata.Tasks.GetAsync(task.Id))!.State.Status);
        var interrupted = $"{task.Path}/output/{Checkpoints.InterruptedDir}";
        Assert.True(await shared.ExistsAsync($"{interrupted}/{Checkpoints.SuccessMarker}"));
        Assert.True(await shared.ExistsAsync($"{interrupted}/{Checkpoints.OptimizerFile}"));
        var saved = await ReadStateAsync(shared, interrupted);
        Assert.Equal(1, saved["epoch"]!.GetValue<int>());
        var stoppedAt = saved["epoch_step"]!.GetValue<int>();
        Assert.InRange(stoppedAt, 2, StepsPerEpoch - 1);
        Assert.Equal(StepsPerEpoch + stoppedAt, saved["global_step"]!.GetValue<long>());
        Assert.False(await shared.ExistsAsync($"{task.Path}/output/epoch_2/{Checkpoints.SuccessMarker}"));

        // Replica 2 (nothing local) gets the redelivery and continues at the next batch.
        using (var second = await StartReplicaAsync(metadata, shared, queue, "replica-2"))
        {
            await Polling.WaitUntilAsync(async () => (await metadata.Tasks.GetAsync(task.Id))!.State.Status != (int)Contracts.TaskStatus.XTRAINING, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
            await second.StopAsync(CancellationToken.None);
        }

        Assert.Equal((int)Contracts.TaskStatus.XTRAINDONE, (await metadata.Tasks.GetAsync(task.Id))!.State.Status);
        using (var reader = new StreamReader(await shared.OpenReadAsync($"{task.Path}/out.log")))
        {
            var log = await reader.ReadToEndAsync();
            Assert.Contains($"Epoch 2 continues at step {stoppedAt + 1}/{StepsPerEpoch}", log, StringComparison.Ordinal);
        }

        var final = await ReadStateAsync(shared, $"{task.Path}/output/epoch_2");
        Assert.Equal(2 * StepsPerEpoch, final["global_step"]!.GetValue<long>()); // no batch trained twice
        Assert.Equal(2, final["history"]!.AsArray().Count);
        Assert.False(await shared.ExistsAsync($"{interrupted}/{Checkpoints.SuccessMarker}")); // superseded, removed from the store
        Assert.Empty(queue.PendingIds());
    }

    private async Task<JobRunner> StartReplicaAsync(LocalMetadataStore metadata, LocalArtifactStore shared, LocalJobQueue queue, string name)
    {
        var artifacts = new ReplicaArtifactStore(shared, Path.Combine(workspace, name));
        var handler = new TrainJobHandler(metadata, artifacts, new TrainingOptions { TorchThreads = 2, ProgressInterval = TimeSpan.Zero }, NullLogger<TrainJobHandler>.Instance);
        var options = new WorkerOptions { CancelCheckInterval = TimeSpan.FromMilliseconds(200) };
        var runner = new JobRunner(queue, [handler], new ServiceCollection().BuildServiceProvider(), options, NullLogger<JobRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        return runner;
    }

    private static (int Epoch, int Step)? Progress(TaskInfo? task) =>
        task?.Jobs.GetValueOrDefault(JobKinds.Train)?.Message is { Length: > 0 } text && text.TrimStart().StartsWith('{')
            && JsonNode.Parse(text) is JsonObject json
            ? (json["epoch"]!.GetValue<int>(), json["step"]!.GetValue<int>())
            : null;

    private static async Task<JsonObject> ReadStateAsync(LocalArtifactStore store, string checkpoint)
    {
        await using var stream = await store.OpenReadAsync($"{checkpoint}/{Checkpoints.StateFile}");
        return (await JsonNode.ParseAsync(stream))!.AsObject();
    }
}
