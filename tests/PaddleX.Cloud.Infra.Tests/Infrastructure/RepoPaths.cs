using System.Reflection;

namespace PaddleX.Cloud.Infra.Tests.Infrastructure;

/// <summary>Well-known locations in the repository and the tool caches.</summary>
internal static class RepoPaths
{
    public static string Root => Repository.Root;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string BicepDir => Combine("infra", "bicep");

    public static string MainBicep => Combine("infra", "bicep", "main.bicep");

    public static string ToolsDir => Combine("tests", "tools");

    public static string? Metadata(string key) =>
        typeof(RepoPaths).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value;

    /// <summary>Every file under the repository root with the given extension, minus build and tool output.</summary>
    public static IReadOnlyList<string> FilesWithExtension(string extension)
    {
        string[] skipped = [".git", "node_modules", "bin", "obj", "TestResults", ".nuget"];
        // Build output and material that is not the project's own code, at the root only.
        string[] skippedAtRoot = ["artifacts", ".tools", "shared", ".azure"];
        var result = new List<string>();
        var pending = new Stack<string>();
        pending.Push(Root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(sub);
                if (!skipped.Contains(name) && !(dir == Root && skippedAtRoot.Contains(name)))
                {
                    pending.Push(sub);
                }
            }

            result.AddRange(Directory.EnumerateFiles(dir, "*" + extension));
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');
}
