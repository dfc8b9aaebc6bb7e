using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>One worker replica's view of a shared store, as in the cloud: <see cref="MaterializeAsync"/>
/// downloads into the replica's own scratch folder and only <see cref="PublishAsync"/> makes local files
/// visible to others. A new instance with a new folder is a new replica that saw nothing the old one
/// did not publish.</summary>
internal sealed class ReplicaArtifactStore(LocalArtifactStore shared, string scratch) : IArtifactStore
{
    public ValueTask<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) => shared.ExistsAsync(path, cancellationToken);

    public ValueTask<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => shared.OpenReadAsync(path, cancellationToken);

    public ValueTask WriteAsync(string path, Stream content, CancellationToken cancellationToken = default) => shared.WriteAsync(path, content, cancellationToken);

    public ValueTask<IReadOnlyList<ArtifactEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default) => shared.ListAsync(prefix, cancellationToken);

    public ValueTask DeleteAsync(string path, CancellationToken cancellationToken = default) => shared.DeleteAsync(path, cancellationToken);

    public string ToDisplayPath(string path) => path;

    public bool TryResolve(string userPath, out string relativePath) => shared.TryResolve(userPath, out relativePath);

    public async ValueTask<string> MaterializeAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var local = Path.Combine(scratch, prefix);
        Directory.CreateDirectory(local);
        foreach (var entry in await shared.ListAsync(prefix, cancellationToken))
        {
            var target = Path.Combine(scratch, entry.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var source = await shared.OpenReadAsync(entry.Path, cancellationToken);
            await using var file = File.Create(target);
            await source.CopyToAsync(file, cancellationToken);
        }

        return local;
    }

    public async ValueTask PublishAsync(string localDirectory, string prefix, CancellationToken cancellationToken = default)
    {
        foreach (var file in PublishOrder.Files(localDirectory))
        {
            var relative = Path.GetRelativePath(localDirectory, file).Replace('\\', '/');
            await using var content = File.OpenRead(file);
            await shared.WriteAsync($"{prefix}/{relative}", content, cancellationToken);
        }
    }
}
