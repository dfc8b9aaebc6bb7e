namespace PaddleX.Cloud.Testing;

/// <summary>Scratch folders for tests, all under one folder per test process that is deleted when the process exits:
/// servers and trainers keep files open until their test ends, so per-test deletes were skipped or failed and a full
/// run used to leave gigabytes behind in the temp folder. The test platform may end a test host before that delete
/// has finished (the detection, vision and API hosts left ~6 GB each), so a new process also deletes the folders of
/// test processes that no longer run.</summary>
public static class TempFolders
{
    private const string RootPrefix = "run-";

    private static readonly Lazy<string> ProcessRoot = new(() =>
    {
        var parent = Path.Combine(Path.GetTempPath(), "paddlex-tests");
        DeleteAbandoned(parent);
        var root = Path.Combine(parent, $"{RootPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    });

    /// <summary>A new empty folder named <paramref name="prefix"/> plus a unique suffix.</summary>
    public static string Create(string prefix = "tmp-")
    {
        var path = Path.Combine(ProcessRoot.Value, $"{prefix.TrimEnd('-')}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes the process folders under <paramref name="parent"/> whose process has ended.</summary>
    private static void DeleteAbandoned(string parent)
    {
        if (!Directory.Exists(parent))
        {
            return;
        }

        foreach (var folder in Directory.EnumerateDirectories(parent, RootPrefix + "*"))
        {
            var name = Path.GetFileName(folder);
            var dash = name.IndexOf('-', RootPrefix.Length);
            if (dash > 0 && int.TryParse(name.AsSpan(RootPrefix.Length, dash - RootPrefix.Length), out var pid) && !IsRunning(pid))
            {
                TryDelete(folder);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false; // no such process (or it ended meanwhile)
        }
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file; the folder is inside the temp folder either way.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
