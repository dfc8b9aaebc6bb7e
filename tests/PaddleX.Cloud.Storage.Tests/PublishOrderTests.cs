using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage.Tests;

public sealed class PublishOrderTests : IDisposable
{
    private readonly string folder = TempFolders.Create("publish");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Markers_come_after_every_other_file_of_the_folder_tree()
    {
        foreach (var file in new[] { ".success", "model.dat", "epoch_2/.success", "epoch_2/model.dat", "epoch_2/optimizer.dat", "a.log", ".job" })
        {
            var path = Path.Combine(folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }

        var order = PublishOrder.Files(folder).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).ToList();

        Assert.Equal(7, order.Count);
        Assert.All(order.Take(4), f => Assert.False(Path.GetFileName(f).StartsWith('.'), f));
        Assert.Equal([".job", ".success", "epoch_2/.success"], order.Skip(4));
    }
}
