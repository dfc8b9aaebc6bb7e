using System.IO.Enumeration;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>Artifacts as plain files under the workspace folder. Every operation resolves symbolic
/// links at the file it touches and refuses (<see cref="UnauthorizedAccessException"/>) when the real
/// location is outside the workspace; writes replace a file by rename, so a link planted at the
/// destination is replaced, never written through.</summary>
public sealed class LocalArtifactStore : IArtifactStore
{
    private readonly string root;
    private readonly string realRoot;

    public LocalArtifactStore(string workspaceDirectory)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspaceDirectory));
        Directory.CreateDirectory(root);
        realRoot = NativePaths.Resolve(root);
    }

    public string Root => root;

    public ValueTask<bool> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        return ValueTask.FromResult(File.Exists(full) && Escapes(full) is null);
    }

    public ValueTask<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Confined(path);
        try
        {
            return ValueTask.FromResult<Stream>(new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, useAsync: true));
        }
        catch (DirectoryNotFoundException e)
        {
            // The port promises FileNotFoundException for any missing file, also when its folder is missing.
            throw new FileNotFoundException($"Artifact '{path}' does not exist.", full, e);
        }
    }

    public async ValueTask WriteAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        var target = ConfinedParent(path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        _ = ConfinedParent(path); // the folders just created cannot have been links, but re-check the race
        var temp = target + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(stream, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public ValueTask<bool> FolderExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        return ValueTask.FromResult(Directory.Exists(full) && Escapes(full) is null);
    }

    public ValueTask<IReadOnlyList<ArtifactEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var directory = FullPath(prefix);
        IReadOnlyList<ArtifactEntry> entries = !Directory.Exists(directory) || Escapes(directory) is not null
            ? []
            : new FileSystemEnumerable<FileInfo>(directory, (ref FileSystemEntry entry) => (FileInfo)entry.ToFileSystemInfo(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            {
                // Links are followed only while they stay in the workspace: a link out is not a workspace file or folder.
                ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && (!IsLink(ref entry) || Escapes(entry.ToFullPath()) is null),
                ShouldRecursePredicate = (ref FileSystemEntry entry) => !IsLink(ref entry) || Escapes(entry.ToFullPath()) is null,
            }
                .Select(f => new ArtifactEntry(Relative(f.FullName), f.Length, f.LastWriteTimeUtc))
                .OrderBy(e => e.Path, StringComparer.Ordinal)
                .ToList();
        return ValueTask.FromResult(entries);
    }

    /// <summary>A link is removed itself, never what it points to; a folder's links likewise.</summary>
    public ValueTask DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = ConfinedParent(path);
        if (Directory.Exists(full) && !new DirectoryInfo(full).Attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            Directory.Delete(full, recursive: true);
        }
        else if (File.Exists(full) || new FileInfo(full).LinkTarget is not null)
        {
            File.Delete(full);
        }

        return ValueTask.CompletedTask;
    }

    public string ToDisplayPath(string path) => path.Length == 0 ? root : Path.Combine(root, path);

    public bool TryResolve(string userPath, out string relativePath)
    {
        relativePath = string.Empty;
        if (string.IsNullOrWhiteSpace(userPath) || userPath.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        var normalized = userPath.Replace('\\', '/');
        if (normalized.Contains("://", StringComparison.Ordinal))
        {
            return false; // URLs (file://, https://) are not workspace paths in local mode
        }

        if (normalized.Split('/').Any(part => part == ".."))
        {
            return false;
        }

        var full = Path.GetFullPath(Path.IsPathRooted(normalized) ? normalized : Path.Combine(root, normalized));
        if (!IsUnder(full, root))
        {
            return false;
        }

        // Follow symbolic links: the file the kernel would open must be inside the workspace too.
        if (!IsUnder(NativePaths.Resolve(full), realRoot))
        {
            return false;
        }

        relativePath = Relative(full);
        return true;
    }

    public ValueTask<string> MaterializeAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var directory = Confined(prefix);
        Directory.CreateDirectory(directory);
        return ValueTask.FromResult(directory);
    }

    /// <summary>Each file goes through <see cref="WriteAsync"/>: confined and replaced by rename.</summary>
    public async ValueTask PublishAsync(string localDirectory, string prefix, CancellationToken cancellationToken = default)
    {
        var target = Confined(prefix);
        if (string.Equals(Path.GetFullPath(localDirectory).TrimEnd('/'), target.TrimEnd('/'), StringComparison.Ordinal))
        {
            return;
        }

        foreach (var file in PublishOrder.Files(localDirectory))
        {
            var relative = Path.GetRelativePath(localDirectory, file).Replace('\\', '/');
            await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            await WriteAsync(prefix.Length == 0 ? relative : $"{prefix.TrimEnd('/')}/{relative}", content, cancellationToken);
        }
    }

    /// <summary>The absolute path of a workspace-relative path (already confined by the caller).</summary>
    public string FullPath(string relativePath)
    {
        if (relativePath.Split('/', '\\').Any(part => part == ".."))
        {
            throw new ArgumentException($"Path '{relativePath}' leaves the workspace.", nameof(relativePath));
        }

        return Path.GetFullPath(Path.Combine(root, relativePath.TrimStart('/')));
    }

    /// <summary>The full path, its real location (every link resolved, the last one too) inside the workspace.</summary>
    private string Confined(string relativePath)
    {
        var full = FullPath(relativePath);
        return Escapes(full) is null ? full : throw OutOfWorkspace(relativePath);
    }

    /// <summary>The full path, the real location of its folder inside the workspace; the last
    /// component may be a link, which the caller replaces or removes but never follows.</summary>
    private string ConfinedParent(string relativePath)
    {
        var full = FullPath(relativePath);
        var parent = Path.GetDirectoryName(full);
        return parent is not null && Escapes(parent) is not null ? throw OutOfWorkspace(relativePath) : full;
    }

    /// <summary>Where the path really leads when that is outside the workspace, else null.</summary>
    private string? Escapes(string fullPath) =>
        NativePaths.Resolve(fullPath) is var real && IsUnder(real, realRoot) ? null : real;

    private static bool IsLink(ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0;

    private static UnauthorizedAccessException OutOfWorkspace(string relativePath) =>
        new($"'{relativePath}' leads out of the workspace through a symbolic link.");

    private string Relative(string fullPath) => Path.GetRelativePath(root, fullPath).Replace('\\', '/') is var relative && relative == "." ? string.Empty : relative;

    private static bool IsUnder(string path, string directory) =>
        path == directory || path.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
