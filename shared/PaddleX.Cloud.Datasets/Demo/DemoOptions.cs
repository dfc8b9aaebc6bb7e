namespace PaddleX.Cloud.Datasets.Demo;

/// <summary>Where demo archives come from (<c>Demo</c> configuration section, server option
/// <c>--demo_source</c>). Without a source, or when it cannot be reached, the demo datasets are
/// generated on the spot.</summary>
public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Base of the archives, each <c>&lt;base&gt;/&lt;name&gt;.zip</c>: an <c>https://</c> URL,
    /// <c>blob:&lt;prefix&gt;</c> (a folder of the workspace's own artifact store, i.e. its blob
    /// container in the cloud), or an absolute local folder.</summary>
    public string? Source { get; set; }

    /// <summary>Largest archive accepted (downloaded bytes and declared length).</summary>
    public long MaxArchiveBytes { get; set; } = 1L * 1024 * 1024 * 1024;

    /// <summary>How long one download may stall before the source counts as unreachable.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
