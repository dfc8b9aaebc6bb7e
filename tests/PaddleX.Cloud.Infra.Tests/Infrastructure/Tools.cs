namespace PaddleX.Cloud.Infra.Tests.Infrastructure;

/// <summary>
/// Locates the pinned validation tools. Each accessor throws when its tool is missing, so a test
/// that needs it fails with instructions instead of being skipped.
/// </summary>
internal static class Tools
{
    private const string InstallHint = "Run tests/tools/install.sh (it installs every tool these tests need).";

    public static string BicepVersion => RepoPaths.Metadata("BicepVersion") ?? "0.49.2";

    /// <summary>bicep from the NuGet package Azure.Bicep.CommandLine.linux-x64 (PackageDownload of this project).</summary>
    public static string Bicep
    {
        get
        {
            var roots = new List<string>();
            var fromEnv = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                roots.Add(fromEnv);
            }

            var fromBuild = RepoPaths.Metadata("NuGetPackageRoot");
            if (!string.IsNullOrEmpty(fromBuild))
            {
                roots.Add(fromBuild);
            }

            roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));

            var candidates = roots
                .Select(r => Path.Combine(r, "azure.bicep.commandline.linux-x64", BicepVersion, "tools", "bicep"))
                .ToList();
            var found = candidates.FirstOrDefault(File.Exists);
            if (found is null)
            {
                throw new InvalidOperationException(
                    $"Bicep CLI {BicepVersion} not found; looked at: {string.Join(", ", candidates)}. {InstallHint}");
            }

            return found;
        }
    }

    /// <summary>A binary installed by `npm ci` in tests/tools.</summary>
    public static string Npm(string name)
    {
        var path = Path.Combine(RepoPaths.ToolsDir, "node_modules", ".bin", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"'{name}' not found at {path}. {InstallHint}");
        }

        return path;
    }

    public static string Shellcheck
    {
        get
        {
            var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, "shellcheck"))
                .FirstOrDefault(File.Exists);
            return path ?? throw new InvalidOperationException($"shellcheck is not on PATH. {InstallHint}");
        }
    }
}
