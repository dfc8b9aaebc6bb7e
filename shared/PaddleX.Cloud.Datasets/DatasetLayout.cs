namespace PaddleX.Cloud.Datasets;

/// <summary>Where things live inside a dataset folder (workspace-relative, '/' separators).</summary>
public static class DatasetLayout
{
    /// <summary>Our metadata folder; its name starts with '.', so a re-import never lists it.</summary>
    public const string MetaFolder = ".paddlex";

    public const string DetailsFile = MetaFolder + "/details.json";

    public const string SplitFile = MetaFolder + "/split.json";

    public const string UploadFolder = ".upload";

    /// <summary>Staging folders of running imports: <c>datasets/.staging/{did}-{job}</c>.</summary>
    public const string StagingRoot = "datasets/.staging";

    public static string Details(string datasetPath) => datasetPath.TrimEnd('/') + "/" + DetailsFile;

    public static string Staging(string did, string jobId) => $"{StagingRoot}/{did}-{jobId}";
}
