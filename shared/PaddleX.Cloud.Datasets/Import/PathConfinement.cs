namespace PaddleX.Cloud.Datasets.Import;

/// <summary>Whether a local path lies inside a folder once every symbolic link on the way is resolved.</summary>
public static class PathConfinement
{
    public static bool IsInside(string path, string root)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathRooted(path) || path.Contains('\0', StringComparison.Ordinal)
            || path.Replace('\\', '/').Split('/').Any(p => p == ".."))
        {
            return false;
        }

        var real = RealPath(Path.GetFullPath(path));
        var realRoot = RealPath(Path.GetFullPath(root));
        return real == realRoot || real.StartsWith(Path.TrimEndingDirectorySeparator(realRoot) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>The path with every existing symbolic link along it resolved.</summary>
    public static string RealPath(string fullPath) => RealPath(fullPath, 0);

    private static string RealPath(string fullPath, int depth)
    {
        var parts = fullPath.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(fullPath) ?? "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            var hops = 0;
            while (info.Exists && info.LinkTarget is not null && hops++ < 40)
            {
                var target = info.LinkTarget;
                next = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                if (depth < 8)
                {
                    next = RealPath(next, depth + 1);
                }

                info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            }

            current = next;
        }

        return Path.TrimEndingDirectorySeparator(current);
    }
}
