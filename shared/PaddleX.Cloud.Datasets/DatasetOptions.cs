namespace PaddleX.Cloud.Datasets;

/// <summary>Bound from the <c>Datasets</c> configuration section.</summary>
public sealed class DatasetOptions
{
    public const string Section = "Datasets";

    /// <summary>An archive (upload or imported .zip) that expands past this is refused.</summary>
    public long MaxExpandedBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>Largest accepted upload body of <c>POST /dataset/upload</c>.</summary>
    public const long MaxUploadBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>How often a running import writes its progress to the dataset's state.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Least time each copy thread spends per file; zero (the default) copies at full speed.
    /// Paces an import that must share a slow disk or network share; tests use it to stop a worker
    /// reliably in the middle of an import.</summary>
    public TimeSpan ThrottlePerFile { get; set; } = TimeSpan.Zero;
}
