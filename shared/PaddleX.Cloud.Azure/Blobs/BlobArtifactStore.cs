using System.Text.Json;
using global::Azure;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Blobs.Models;
using global::Azure.Storage.Blobs.Specialized;
using global::Azure.Storage.Sas;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Azure.Blobs;

/// <summary>Artifacts of one workspace as block blobs named <c>{workspaceId}/{relative path}</c> in one container.</summary>
public sealed class BlobArtifactStore : IArtifactStore, IDirectUploads
{
    /// <summary>Allowed clock difference between this host, the client and Storage for a SAS start time.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const string ManifestName = ".paddlex-materialized.json";
    private readonly BlobContainerClient container;
    private readonly string workspacePrefix;
    private readonly string cacheRoot;
    private readonly Func<CancellationToken, Task> ensureReady;
    private readonly SemaphoreSlim manifestGate = new(1, 1);

    /// <param name="cacheDirectory">Where <see cref="MaterializeAsync"/> puts files; default: a
    /// per-workspace folder under the temp path.</param>
    public BlobArtifactStore(BlobContainerClient container, string workspaceId, string? cacheDirectory = null, Func<CancellationToken, Task>? ensureReady = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workspaceId);
        if (workspaceId.Contains('/', StringComparison.Ordinal) || workspaceId is "." or "..")
        {
            throw new ArgumentException("A workspace id cannot contain '/'.", nameof(workspaceId));
        }

        this.container = container;
        WorkspaceId = workspaceId;
        workspacePrefix = workspaceId + "/";
        cacheRoot = Path.GetFullPath(cacheDirectory ?? Path.Combine(Path.GetTempPath(), "paddlex-blob-cache", container.Name, workspaceId));
        this.ensureReady = ensureReady ?? (_ => Task.CompletedTask);
    }

    public string WorkspaceId { get; }

    /// <summary>The local folder that mirrors the workspace for <see cref="MaterializeAsync"/>.</summary>
    public string CacheRoot => cacheRoot;

    public async ValueTask<bool> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        return (await Blob(path).ExistsAsync(cancellationToken)).Value;
    }

    public async ValueTask<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        try
        {
            // One GET: the content of one committed version, never a mix of two writes.
            var download = await Blob(path).DownloadStreamingAsync(cancellationToken: cancellationToken);
            return download.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new FileNotFoundException($"Artifact '{path}' does not exist.", path, e);
        }
    }

    /// <remarks>A block blob upload commits in one step (a single put or a put-block-list), so readers
    /// see the old or the new content.</remarks>
    public async ValueTask WriteAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        await Blob(path).UploadAsync(content, overwrite: true, cancellationToken);
    }

    /// <summary>A SAS URL for one block blob. With an account key (the emulator, key-based accounts) it
    /// is signed with the key; with Entra ID (deployed: shared keys are disabled) it is a user-delegation
    /// SAS signed with a key Storage issues to this app's identity (Storage Blob Data Owner or
    /// Contributor includes the right to ask for one).</summary>
    public async ValueTask<DirectUpload> CreateUploadAsync(string path, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var blob = Blob(path);
        var sas = UploadSas(blob.BlobContainerName, blob.Name, blob.Uri, DateTimeOffset.UtcNow, lifetime);
        Uri url;
        if (blob.CanGenerateSasUri)
        {
            url = blob.GenerateSasUri(sas);
        }
        else
        {
            var service = container.GetParentBlobServiceClient();
            var key = await service.GetUserDelegationKeyAsync(sas.StartsOn, sas.ExpiresOn, cancellationToken);
            url = new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key.Value, service.AccountName) }.ToUri();
        }

        return new DirectUpload(url, sas.ExpiresOn, new Dictionary<string, string>(StringComparer.Ordinal) { ["x-ms-blob-type"] = "BlockBlob" });
    }

    /// <summary>What an upload SAS allows: create and write one blob, from a little before now (clock
    /// skew) for <paramref name="lifetime"/>, over HTTPS only unless the endpoint itself is HTTP (emulator).</summary>
    internal static BlobSasBuilder UploadSas(string containerName, string blobName, Uri endpoint, DateTimeOffset now, TimeSpan lifetime) =>
        new(BlobSasPermissions.Create | BlobSasPermissions.Write, now + lifetime)
        {
            BlobContainerName = containerName,
            BlobName = blobName,
            Resource = "b",
            StartsOn = now - ClockSkew,
            Protocol = endpoint.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };

    public async ValueTask<IReadOnlyList<ArtifactEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var entries = new List<ArtifactEntry>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = FolderName(prefix) }, cancellationToken))
        {
            entries.Add(new ArtifactEntry(
                item.Name[workspacePrefix.Length..],
                item.Properties.ContentLength ?? 0,
                item.Properties.LastModified ?? DateTimeOffset.MinValue));
        }

        return entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }

    public async ValueTask DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var normalized = Normalize(path);
        if (normalized.Length > 0)
        {
            await Blob(normalized).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }

        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = FolderName(normalized) }, cancellationToken))
        {
            await container.GetBlobClient(item.Name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Clients see workspace-relative paths in the cloud.</summary>
    public string ToDisplayPath(string path) => Normalize(path);

    /// <summary>Accepts relative paths inside the workspace and https URLs of this container's blobs
    /// under the workspace prefix. Refuses '..', absolute paths and any other URL.</summary>
    public bool TryResolve(string userPath, out string relativePath)
    {
        relativePath = string.Empty;
        if (string.IsNullOrWhiteSpace(userPath) || userPath.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        string candidate;
        if (userPath.Contains("://", StringComparison.Ordinal))
        {
            if (!TryWorkspacePathOfUrl(userPath, out candidate))
            {
                return false;
            }
        }
        else
        {
            candidate = userPath.Replace('\\', '/');
            if (candidate.StartsWith('/') || Path.IsPathRooted(userPath) || (candidate.Length >= 2 && candidate[1] == ':'))
            {
                return false; // absolute paths mean nothing in the cloud
            }
        }

        var parts = candidate.Split('/');
        if (parts.Any(part => part == ".."))
        {
            return false;
        }

        relativePath = string.Join('/', parts.Where(part => part.Length > 0 && part != "."));
        return true;
    }

    /// <summary>Downloads every blob under <paramref name="prefix"/> into the cache folder, skipping
    /// files whose length and ETag are unchanged since the last download. Local files that are not in
    /// the store are left alone.</summary>
    public async ValueTask<string> MaterializeAsync(string prefix, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var normalized = Normalize(prefix);
        var directory = LocalPath(normalized);
        Directory.CreateDirectory(directory);
        await manifestGate.WaitAsync(cancellationToken);
        try
        {
            var manifest = LoadManifest();
            await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = FolderName(normalized) }, cancellationToken))
            {
                var relative = item.Name[workspacePrefix.Length..];
                var local = LocalPath(relative);
                var etag = item.Properties.ETag?.ToString() ?? string.Empty;
                var length = item.Properties.ContentLength ?? -1;
                if (File.Exists(local) && new FileInfo(local).Length == length && manifest.TryGetValue(relative, out var known) && known == etag)
                {
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(local)!);
                var temp = local + ".download";
                await container.GetBlobClient(item.Name).DownloadToAsync(temp, cancellationToken);
                File.Move(temp, local, overwrite: true);
                manifest[relative] = etag;
            }

            SaveManifest(manifest);
        }
        finally
        {
            manifestGate.Release();
        }

        return directory;
    }

    /// <summary>Uploads every file of <paramref name="localDirectory"/> to <paramref name="prefix"/>
    /// (adding or replacing; blobs with no local file are kept, as in local mode).</summary>
    public async ValueTask PublishAsync(string localDirectory, string prefix, CancellationToken cancellationToken = default)
    {
        await ensureReady(cancellationToken);
        var normalized = Normalize(prefix);
        var source = Path.GetFullPath(localDirectory);
        var mirrorsCache = string.Equals(Path.TrimEndingDirectorySeparator(source), Path.TrimEndingDirectorySeparator(LocalPath(normalized)), StringComparison.Ordinal);
        await manifestGate.WaitAsync(cancellationToken);
        try
        {
            var manifest = LoadManifest();
            foreach (var file in PublishOrder.Files(source))
            {
                var inside = Path.GetRelativePath(source, file).Replace('\\', '/');
                if (inside.EndsWith(".download", StringComparison.Ordinal))
                {
                    continue;
                }

                var relative = normalized.Length == 0 ? inside : normalized + "/" + inside;
                await using var stream = File.OpenRead(file);
                var info = await Blob(relative).UploadAsync(stream, overwrite: true, cancellationToken);
                if (mirrorsCache)
                {
                    manifest[relative] = info.Value.ETag.ToString();
                }
            }

            if (mirrorsCache)
            {
                SaveManifest(manifest);
            }
        }
        finally
        {
            manifestGate.Release();
        }
    }

    /// <summary>The blob URL of a workspace-relative path (for diagnostics and SAS hand-out).</summary>
    public Uri BlobUri(string path) => Blob(path).Uri;

    private BlobClient Blob(string path)
    {
        var normalized = Normalize(path);
        if (normalized.Length == 0)
        {
            throw new ArgumentException("An artifact path cannot be empty.", nameof(path));
        }

        return container.GetBlobClient(workspacePrefix + normalized);
    }

    private string FolderName(string prefix)
    {
        var normalized = Normalize(prefix);
        return normalized.Length == 0 ? workspacePrefix : workspacePrefix + normalized + "/";
    }

    /// <summary>'/'-separated, no leading or trailing '/', no empty or '.' segments; '..' is refused.</summary>
    private static string Normalize(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Any(p => p == ".."))
        {
            throw new ArgumentException($"Path '{path}' leaves the workspace.", nameof(path));
        }

        return string.Join('/', parts);
    }

    private string LocalPath(string relative) =>
        relative.Length == 0 ? cacheRoot : Path.Combine(cacheRoot, relative.Replace('/', Path.DirectorySeparatorChar));

    private bool TryWorkspacePathOfUrl(string userPath, out string relative)
    {
        relative = string.Empty;
        if (!Uri.TryCreate(userPath, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return false;
        }

        var root = container.Uri;

        // Plain http only where the account itself is served over http (the emulator).
        if (!string.Equals(uri.Scheme, root.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(uri.Host, root.Host, StringComparison.OrdinalIgnoreCase)
            || uri.Port != root.Port
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }

        var containerPath = root.AbsolutePath.TrimEnd('/') + "/";
        var path = uri.AbsolutePath; // still percent-encoded, '..' already collapsed by Uri
        if (!path.StartsWith(containerPath, StringComparison.Ordinal))
        {
            return false;
        }

        var blobName = Uri.UnescapeDataString(path[containerPath.Length..]);
        if (!blobName.StartsWith(workspacePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        // The raw text too: Uri collapses dot segments, so an original '..' would be hidden.
        if (Uri.UnescapeDataString(userPath).Split('/', '\\', '?').Any(part => part == ".."))
        {
            return false;
        }

        relative = blobName[workspacePrefix.Length..];
        return relative.Length > 0;
    }

    /// <summary>Beside the cache folder, not in it: materialized folders hold only the workspace's files.</summary>
    private string ManifestPath => cacheRoot + ManifestName;

    private Dictionary<string, string> LoadManifest()
    {
        var path = ManifestPath;
        try
        {
            return File.Exists(path)
                ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? new(StringComparer.Ordinal)
                : new(StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return new(StringComparer.Ordinal);
        }
    }

    private void SaveManifest(Dictionary<string, string> manifest)
    {
        Directory.CreateDirectory(cacheRoot);
        var path = ManifestPath;
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(manifest));
        File.Move(temp, path, overwrite: true);
    }
}
