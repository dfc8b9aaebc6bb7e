namespace PaddleX.Cloud.Storage.Ports;

/// <summary>The order in which <see cref="IArtifactStore.PublishAsync"/> writes a folder's files.</summary>
public static class PublishOrder
{
    /// <summary>Every file under <paramref name="localDirectory"/> with marker files (names starting with '.', such as a
    /// checkpoint's <c>.success</c>) after all the others: a publish cut short (a killed or frozen worker) never leaves a
    /// marker beside content that did not arrive, which a resume would trust and then fail to load.</summary>
    public static IEnumerable<string> Files(string localDirectory) =>
        Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories)
            .OrderBy(file => Path.GetFileName(file).StartsWith('.') ? 1 : 0)
            .ThenBy(file => file, StringComparer.Ordinal);
}
