using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Vision.Training;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>The task's <c>output/.interrupted</c> in the artifact store. The training loop writes it when
/// the worker stops mid-epoch and removes the local copy once an epoch checkpoint supersedes it; the
/// store's copy (published with the rest of <c>output/</c>) must then go too, or a later redelivery
/// would materialize it again.</summary>
internal sealed class InterruptedCheckpoint(IArtifactStore artifacts, TaskInfo task, string outputDir)
{
    private bool present = Directory.Exists(LocalPath(outputDir));

    /// <summary>Deletes the store's copy once the local one is gone (superseded); no call otherwise.</summary>
    public async ValueTask DeleteIfSupersededAsync()
    {
        if (Directory.Exists(LocalPath(outputDir)))
        {
            present = true;
        }
        else if (present)
        {
            await artifacts.DeleteAsync(StorePath(task), CancellationToken.None);
            present = false;
        }
    }

    /// <summary>Uploads the interruption checkpoint with its <c>.success</c> marker last (a replica killed
    /// halfway leaves no checkpoint that looks complete), then the history and the log. The epoch
    /// checkpoints were published when saved, so this is one checkpoint's worth of bytes.</summary>
    public async ValueTask PublishAsync(string logPath)
    {
        var local = LocalPath(outputDir);
        if (Checkpoints.IsComplete(local))
        {
            var files = Directory.GetFiles(local).OrderBy(f => Path.GetFileName(f) == Checkpoints.SuccessMarker);
            foreach (var file in files)
            {
                await UploadAsync(file, $"{StorePath(task)}/{Path.GetFileName(file)}");
            }
        }

        await UploadAsync(Path.Combine(outputDir, ClassificationTrainer.HistoryFile), $"{task.Path}/output/{ClassificationTrainer.HistoryFile}");
        await UploadAsync(logPath, $"{task.Path}/{Path.GetFileName(logPath)}");
    }

    private async ValueTask UploadAsync(string file, string path)
    {
        if (File.Exists(file))
        {
            await using var content = File.OpenRead(file);
            await artifacts.WriteAsync(path, content, CancellationToken.None);
        }
    }

    public static async ValueTask DeleteAsync(IArtifactStore artifacts, TaskInfo task, string outputDir, CancellationToken cancellationToken)
    {
        if (Directory.Exists(LocalPath(outputDir)))
        {
            Directory.Delete(LocalPath(outputDir), recursive: true);
        }

        await artifacts.DeleteAsync(StorePath(task), cancellationToken);
    }

    private static string LocalPath(string outputDir) => Path.Combine(outputDir, Checkpoints.InterruptedDir);

    private static string StorePath(TaskInfo task) => $"{task.Path}/output/{Checkpoints.InterruptedDir}";
}
