namespace PaddleX.Cloud.Testing;

/// <summary>The checkout the tests run from (scripts, docs, Dockerfiles and fixtures are read from it).</summary>
public static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding PaddleX.Cloud.sln above the test binaries.</summary>
    public static string Root => LazyRoot.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "PaddleX.Cloud.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("repository root (PaddleX.Cloud.sln) not found above " + AppContext.BaseDirectory);
    }
}
