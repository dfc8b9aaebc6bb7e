using PaddleX.Cloud.Contracts.Training;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Worker.Jobs;

/// <summary>
/// The operator's weights catalog as a local folder for one training job. <c>Training:WeightsCatalog</c> is either an
/// absolute folder (used as it is) or an artifact-store prefix (a folder of the workspace locally, blobs in the
/// cloud), from which only the files of the requested (model, set) are copied into a folder of the job.
/// </summary>
public static class WeightsCatalog
{
    /// <summary>The local catalog folder for <paramref name="model"/>/<paramref name="set"/>, or null when there is none.</summary>
    /// <param name="scratch">A folder owned by the job, deleted by the caller afterwards.</param>
    public static async ValueTask<string?> LocalFolderAsync(IArtifactStore artifacts, string? catalog, string model, string? set, string scratch, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(catalog))
        {
            return null;
        }

        if (Path.IsPathFullyQualified(catalog))
        {
            return catalog;
        }

        if (string.IsNullOrWhiteSpace(set) || set.IndexOfAny(['/', '\\']) >= 0)
        {
            return null; // paths and ids are not catalog names
        }

        var prefix = catalog.Trim('/');
        var found = false;
        foreach (var entry in await artifacts.ListAsync(prefix, cancellationToken))
        {
            var relative = entry.Path[(prefix.Length + 1)..];
            if (PretrainNaming.SetOf(relative, model) != set)
            {
                continue;
            }

            var target = Path.Combine(scratch, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using (var source = await artifacts.OpenReadAsync(entry.Path, cancellationToken))
            await using (var copy = File.Create(target))
            {
                await source.CopyToAsync(copy, cancellationToken);
            }

            found = true;
        }

        return found ? scratch : null;
    }
}
