namespace PaddleX.Cloud.Testing;

/// <summary>Scratch folders for tests, all under one folder per test process that is deleted when the process exits:
/// servers and trainers keep files open until their test ends, so per-test deletes were skipped or failed and a full
/// run used to leave gigabytes behind in the temp folder.</summary>
public static class TempFolders
{
    private static readonly Lazy<string> ProcessRoot = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "paddlex-tests", $"run-{Environment.ProcessId}-{Guid.NewGuid():N}");
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
