using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>A catalog kept in the artifact store (blobs in the cloud) gives a training job a local folder holding only
/// the requested model's files of the requested set; an absolute folder is used as it is.</summary>
public sealed class WeightsCatalogTests : IDisposable
{
    private readonly string workspace = Directory.CreateTempSubdirectory("pdx-catalog-ws-").FullName;
    private readonly string scratch = Path.Combine(Path.GetTempPath(), "pdx-catalog-job-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task An_artifact_store_prefix_yields_only_the_requested_files()
    {
        var store = new LocalArtifactStore(workspace);
        foreach (var path in new[] { "catalog/IMAGENET/MobileNetV2.pth", "catalog/IMAGENET/ResNet50.pth", "catalog/COCO/MobileNetV2.pth", "catalog/MobileNetV2_SSLD.dat" })
        {
            await store.WriteAsync(path, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(path)));
        }

        var folder = await WeightsCatalog.LocalFolderAsync(store, "catalog", "MobileNetV2", "IMAGENET", scratch, CancellationToken.None);
        Assert.Equal(scratch, folder);
        Assert.Equal(["IMAGENET/MobileNetV2.pth"], Directory.EnumerateFiles(scratch, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(scratch, f).Replace('\\', '/')));
        Assert.Equal("catalog/IMAGENET/MobileNetV2.pth", await File.ReadAllTextAsync(Path.Combine(scratch, "IMAGENET", "MobileNetV2.pth")));

        Assert.Null(await WeightsCatalog.LocalFolderAsync(store, "catalog", "ResNet34", "IMAGENET", scratch + "-2", CancellationToken.None));
        Assert.Null(await WeightsCatalog.LocalFolderAsync(store, "catalog", "MobileNetV2", "../IMAGENET", scratch + "-3", CancellationToken.None));
        Assert.Null(await WeightsCatalog.LocalFolderAsync(store, null, "MobileNetV2", "IMAGENET", scratch + "-4", CancellationToken.None));
        Assert.Equal(workspace, await WeightsCatalog.LocalFolderAsync(store, workspace, "MobileNetV2", "IMAGENET", scratch + "-5", CancellationToken.None));
    }

    public void Dispose()
    {
        Directory.Delete(workspace, true);
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, true);
        }
    }
}
