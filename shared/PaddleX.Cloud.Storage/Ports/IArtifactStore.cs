namespace PaddleX.Cloud.Storage.Ports;

/// <summary>Files of one workspace (datasets, checkpoints, logs, results) addressed by
/// workspace-relative paths with '/' separators, e.g. <c>datasets/D0001/labels.txt</c>.</summary>
public interface IArtifactStore
{
    ValueTask<bool> ExistsAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="FileNotFoundException"/> when the file does not exist.</summary>
    ValueTask<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Replaces the file atomically: readers see the old or the new content, never a part.</summary>
    ValueTask WriteAsync(string path, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Files under a folder prefix (recursive), ordered by path (ordinal). The prefix names
    /// a folder: "t" lists "t/a.txt", not "tt/b.txt"; "" lists the whole workspace.</summary>
    ValueTask<IReadOnlyList<ArtifactEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Whether a folder exists, also an empty one. Where folders exist only through their
    /// files (blob storage), whether it holds any.</summary>
    async ValueTask<bool> FolderExistsAsync(string path, CancellationToken cancellationToken = default) =>
        (await ListAsync(path, cancellationToken)).Count > 0;

    /// <summary>Deletes a file, or every file under a folder prefix. Missing paths are not an error.</summary>
    ValueTask DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>The path shown to clients: absolute in local mode, workspace-relative in the cloud.</summary>
    string ToDisplayPath(string path);

    /// <summary>Maps a client-supplied path (absolute under the workspace, or relative) to a
    /// workspace-relative one. False for anything that escapes the workspace: '..', absolute
    /// paths elsewhere, symbolic links pointing out, URLs. In the cloud there are no absolute
    /// paths: relative paths, and https URLs of the workspace's own blobs, are accepted.</summary>
    bool TryResolve(string userPath, out string relativePath);

    /// <summary>A local folder holding the files under <paramref name="prefix"/>, for libraries
    /// that need real files (training). Local mode: the workspace folder itself.</summary>
    ValueTask<string> MaterializeAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Makes the files of a local folder the content of <paramref name="prefix"/>: each file
    /// is added or replaced; files under the prefix that the folder lacks are kept. Marker files are written last
    /// (<see cref="PublishOrder"/>).</summary>
    ValueTask PublishAsync(string localDirectory, string prefix, CancellationToken cancellationToken = default);
}

public sealed record ArtifactEntry(string Path, long Length, DateTimeOffset LastModified);
