using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Datasets.Formats;

/// <summary>What a format checker works with: the listed source, the name to show for its root,
/// and the staging folder where it may write generated files (converted annotations).</summary>
public sealed class CheckContext(SourceListing source, string displayRoot, string outputDir, CancellationToken cancellation)
{
    private readonly HashSet<string> generated = new(StringComparer.Ordinal);

    public SourceListing Source { get; } = source;

    public string DisplayRoot { get; } = displayRoot.TrimEnd('/');

    public string OutputDir { get; } = outputDir;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Relative paths written by the checker; the copy does not overwrite them.</summary>
    public IReadOnlySet<string> Generated => generated;

    public string Display(string relative) => DisplayRoot.Length == 0 ? relative : DisplayRoot + "/" + relative;

    public void WriteGenerated(string relative, Action<Stream> write)
    {
        var path = Path.Combine(OutputDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 16384))
        {
            write(stream);
        }

        generated.Add(relative);
    }
}

/// <summary>The outcome of a successful check.</summary>
/// <param name="Details">file_info, label_info, labels, and the split when the source was pre-split.</param>
/// <param name="Pictures">Pictures to decode completely while copying (a failure is a check failure).</param>
public sealed record CheckResult(DatasetDetails Details, bool PreSplit, IReadOnlySet<string> Pictures);

/// <summary>Checks one dataset layout.</summary>
public interface IDatasetFormat
{
    CheckResult Check(CheckContext context);
}

public static class DatasetFormats
{
    public static IDatasetFormat For(string datasetType) => datasetType switch
    {
        "classification" => new ClassificationFormat(),
        "detection" => new DetectionFormat(),
        "segmentation" => new SegmentationFormat(allowTiff: false),
        "remote_segmentation" => new SegmentationFormat(allowTiff: true),
        "instance_segmentation" => new CocoFormat(instanceMasks: true),
        _ => throw new DatasetCheckException($"无法识别的数据类型{datasetType}"),
    };

    /// <summary>Adds <paramref name="image"/> to <paramref name="label"/>'s list once.</summary>
    internal static void AddLabelImage(DatasetDetails details, string label, string image)
    {
        if (!details.LabelInfo.TryGetValue(label, out var list))
        {
            details.LabelInfo[label] = list = [];
        }

        if (list.Count == 0 || list[^1] != image)
        {
            list.Add(image);
        }
    }
}
