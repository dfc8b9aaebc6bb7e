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
