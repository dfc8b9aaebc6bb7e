using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Contracts.Jobs;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Vision.Tests;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>The train job on real stores and real (tiny) training: which checkpoints a run may resume.</summary>
public sealed class TrainRedeliveryTests : IDisposable
{
    private readonly string workspace = Path.Combine(Path.GetTempPath(), "paddlex-tests", "train-" + Guid.NewGuid().ToString("N"));
    private readonly SyntheticDataset data = new(trainPerClass: 4, valPerClass: 2, testPerClass: 0, size: 32);

    public void Dispose()
    {
        data.Dispose();
        if (Directory.Exists(workspace))
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task A_new_run_redelivered_after_a_crash_does_not_resume_the_previous_runs_checkpoints()
    {
        var (metadata, task, handler) = await SeedAsync(epochs: 2);
        var logPath = Path.Combine(workspace, task.Path, "out.log");

        await RunAsync(handler, metadata, task.Id, deliveryCount: 1);
        Assert.Equal((int)Contracts.TaskStatus.XTRAINDONE, (await metadata.Tasks.GetAsync(task.Id))!.State.Status);
        Assert.True(Directory.Exists(Path.Combine(workspace, task.Path, "output", "epoch_2")));

        // The task is trained again; the worker dies before the new run saved anything, and the
        // queue hands the same message over a second time.
        await RunAsync(handler, metadata, task.Id, deliveryCount: 2);
        var log = await File.ReadAllTextAsync(logPath);
        Assert.DoesNotContain("Resume training from", log, StringComparison.Ordinal);
        Assert.Contains("[TRAIN] Epoch=1/2", log, StringComparison.Ordinal);
        Assert.Contains("[TRAIN] Epoch=2/2", log, StringComparison.Ordinal);
        Assert.Equal((int)Contracts.TaskStatus.XTRAINDONE, (await metadata.Tasks.GetAsync(task.Id))!.State.Status);
    }

    [Fact]
    public async Task A_redelivered_run_resumes_from_its_own_newest_checkpoint()
    {
        var (metadata, task, handler) = await SeedAsync(epochs: 3);
        var message = await StartJobAsync(metadata, task.Id);
        await handler.RunAsync(Context(message, 1));

        // Simulate the crash after epoch 2: the newest checkpoint of this job's run is epoch_2.
        Directory.Delete(Path.Combine(workspace, task.Path, "output", "epoch_3"), recursive: true);
        await metadata.Tasks.UpdateAsync(task.Id, t => t.Jobs[JobKinds.Train] = new JobState { JobId = message.JobId, Status = (int)Contracts.TaskStatus.XTRAINING });
        await handler.RunAsync(Context(message, 2));
        var log = await File.ReadAllTextAsync(Path.Combine(workspace, task.Path, "out.log"));
        Assert.Matches(@"Resume training from .*epoch_2", log);
        Assert.True(Directory.Exists(Path.Combine(workspace, task.Path, "output", "epoch_3")));
    }

    [Fact]
    public async Task A_redelivered_resume_continues_from_its_own_newest_checkpoint_not_the_chosen_epoch()
    {
        var (metadata, task, handler) = await SeedAsync(epochs: 3);
        await RunAsync(handler, metadata, task.Id, deliveryCount: 1);

        // The user resumes epoch 1; the worker dies after the resumed run saved epoch 2 and the message comes again.
        var output = Path.Combine(workspace, task.Path, "output");
        var message = await StartJobAsync(metadata, task.Id, """{"resume_epoch": 1}""");
        await handler.RunAsync(Context(message, 1));
        Directory.Delete(Path.Combine(output, "epoch_3"), recursive: true);
        await metadata.Tasks.UpdateAsync(task.Id, t => t.Jobs[JobKinds.Train] = new JobState { JobId = message.JobId, Status = (int)Contracts.TaskStatus.XTRAINING });
        await handler.RunAsync(Context(message, 2));

        var resumes = System.Text.RegularExpressions.Regex.Matches(await File.ReadAllTextAsync(Path.Combine(workspace, task.Path, "out.log")), @"Resume training from (\S*),");
        Assert.Equal(2, resumes.Count);
        Assert.EndsWith("epoch_1", resumes[0].Groups[1].Value, StringComparison.Ordinal);
        Assert.EndsWith("epoch_2", resumes[1].Groups[1].Value, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(output, "epoch_3")));
    }

    [Fact]
    public async Task Resuming_an_epoch_drops_the_checkpoints_after_it()
    {
        var (metadata, task, handler) = await SeedAsync(epochs: 2);
        await RunAsync(handler, metadata, task.Id, deliveryCount: 1);

        // A checkpoint of a later epoch than this run will reach: left, it would pass for this run's progress.
        var output = Path.Combine(workspace, task.Path, "output");
        CopyFolder(Path.Combine(output, "epoch_2"), Path.Combine(output, "epoch_7"));
        var message = await StartJobAsync(metadata, task.Id, """{"resume_epoch": 1}""");
        await handler.RunAsync(Context(message, 1));
        Assert.False(Directory.Exists(Path.Combine(output, "epoch_7")));
        Assert.True(Directory.Exists(Path.Combine(output, "epoch_2")));
    }

    /// <summary>A ResNet18 task on the tiny set, saving every epoch, and the train job handler over real local stores.</summary>
    private async Task<(LocalMetadataStore Metadata, TaskInfo Task, TrainJobHandler Handler)> SeedAsync(int epochs)
    {
        var metadata = new LocalMetadataStore(workspace);
        var parameters = $$"""{"model": "ResNet18", "image_shape": [32, 32], "batch_size": 8, "num_epochs": {{epochs}}, "learning_rate": 0.01, "lr_decay_epochs": [5], "save_interval_epochs": 1, "pretrain_weights": "", "seed": 1}""";
        var task = await TrainingWorkspace.SeedAsync(metadata, workspace, data.Dir, parameters);
        var handler = new TrainJobHandler(metadata, new LocalArtifactStore(workspace), new TrainingOptions { TorchThreads = 2, ProgressInterval = TimeSpan.FromHours(1) }, NullLogger<TrainJobHandler>.Instance);
        return (metadata, task, handler);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static async Task RunAsync(TrainJobHandler handler, LocalMetadataStore metadata, string tid, int deliveryCount)
    {
        var message = await StartJobAsync(metadata, tid);
        await handler.RunAsync(Context(message, deliveryCount));
    }

    /// <summary>What POST /project/task/train records before it enqueues the job.</summary>
    private static async Task<JobMessage> StartJobAsync(LocalMetadataStore metadata, string tid, string parametersJson = "{}")
    {
        var message = JobMessageFactory.Create(JobKinds.Train, "local", tid, parametersJson);
        await metadata.Tasks.UpdateAsync(tid, t =>
        {
            t.Jobs[JobKinds.Train] = new JobState { JobId = message.JobId, Status = (int)Contracts.TaskStatus.XTRAINING };
            t.State = new JobState { Status = (int)Contracts.TaskStatus.XTRAINING };
        });
        return message;
    }

    private static JobContext Context(JobMessage message, int deliveryCount) =>
        new(message, deliveryCount, new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, CancellationToken.None);
}
