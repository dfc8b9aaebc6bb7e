using PaddleX.Cloud.Datasets.Formats;
using PaddleX.Cloud.Datasets.Import;

namespace PaddleX.Cloud.Datasets.Tests;

internal static class Importing
{
    public static async Task<(CheckResult Result, string Output)> ImportAsync(string type, string source)
    {
        var output = Path.Combine(Generate.TempDir(), "out");
        var result = await DatasetImporter.RunAsync(new DatasetImporter.Request(type, source, "SRC", output), new ImportProgress(), CancellationToken.None);
        return (result, output);
    }

    public static async Task<string> FailureAsync(string type, string source)
    {
        var failure = await Assert.ThrowsAsync<DatasetCheckException>(() => ImportAsync(type, source));
        return failure.Message;
    }
}
