using PaddleX.Cloud.Contracts;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>A workspace holding one imported classification dataset, its project and a task with the given
/// training parameters: what the train-job tests start from.</summary>
internal static class TrainingWorkspace
{
    /// <summary>Copies <paramref name="datasetDir"/> in as D0001 under <paramref name="root"/>, records it,
    /// project P0001 bound to it, and a task with <paramref name="paramsJson"/>.</summary>
    public static async Task<TaskInfo> SeedAsync(IMetadataStore metadata, string root, string datasetDir, string paramsJson)
    {
        CopyFolder(datasetDir, Path.Combine(root, "datasets", "D0001"));
        await metadata.Datasets.CreateAsync(id => new Dataset { Id = id, Name = "shapes", Type = "classification", Path = $"datasets/{id}" });
        await metadata.Projects.CreateAsync(id => new Project { Id = id, Name = "p", Type = "classification", Did = "D0001" });
        return await metadata.Tasks.CreateAsync(id => new TaskInfo { Id = id, Pid = "P0001", Path = $"projects/P0001/tasks/{id}", ParamsJson = paramsJson });
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
