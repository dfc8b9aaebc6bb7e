using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Detection.Tests;

/// <summary>
/// A detection (or instance-segmentation) dataset folder ready for training, made the way a user's is: coloured
/// shapes from <see cref="ShapeDetectionGenerator"/>, imported by the real importer, split by the real splitter
/// and split writer. Returns the folders of the generated source and of the imported dataset.
/// </summary>
internal static class DetectionShapes
{
    public static (string Source, string Dataset) Prepare(ShapeDetectionOptions options, string type = "detection", double valSplit = 0.2, double testSplit = 0.1, int seed = 1)
    {
        string root = TempFolders.Create("pdx-det");
        return Prepare(ShapeDetectionGenerator.Write(Path.Combine(root, "source"), options), type, valSplit, testSplit, seed);
    }

    /// <summary>Imports and splits a source folder already written (a test may edit the generated files first).</summary>
    public static (string Source, string Dataset) Prepare(string source, string type = "detection", double valSplit = 0.2, double testSplit = 0.1, int seed = 1)
    {
        string dataset = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source))!, "dataset-" + Guid.NewGuid().ToString("N")[..6]);
        var request = new DatasetImporter.Request(type, source, "shapes", dataset);
        var result = DatasetImporter.RunAsync(request, new ImportProgress(), CancellationToken.None).GetAwaiter().GetResult();
        if (!result.PreSplit)
        {
            DatasetSplitter.Split(result.Details, type, valSplit, testSplit, seed);
            SplitWriter.Write(type, result.Details, dataset);
            SplitWriter.WriteDetails(result.Details, dataset);
        }

        return (source, dataset);
    }
}
