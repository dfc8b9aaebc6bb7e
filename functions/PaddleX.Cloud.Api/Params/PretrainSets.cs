using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Contracts.Training;

namespace PaddleX.Cloud.Api.Params;

/// <summary>The named pretrained sets (<c>IMAGENET</c>, …) a training task of a model can start from: files in the
/// workspace's <c>pretrain/</c> folder and in the weights catalog (<see cref="PretrainNaming"/>), plus the engine's
/// built-in ImageNet ResNet18.</summary>
public static class PretrainSets
{
    public const string WorkspaceFolder = "pretrain";

    public static async ValueTask<IReadOnlyList<string>> AvailableAsync(ApiCall call, string model)
    {
        var files = new List<string>();
        await AddListedAsync(WorkspaceFolder);
        var catalog = call.Services.Options.WeightsCatalog;
        if (!string.IsNullOrWhiteSpace(catalog))
        {
            if (Path.IsPathFullyQualified(catalog))
            {
                if (Directory.Exists(catalog))
                {
                    files.AddRange(Directory.EnumerateFiles(catalog, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 })
                        .Select(f => Path.GetRelativePath(catalog, f).Replace('\\', '/')));
                }
            }
            else
            {
                await AddListedAsync(catalog.Trim('/'));
            }
        }

        return PretrainNaming.Available(model, files);

        async ValueTask AddListedAsync(string prefix)
        {
            foreach (var entry in await call.Services.Artifacts.ListAsync(prefix, call.Cancellation))
            {
                files.Add(entry.Path[(prefix.Length + 1)..]);
            }
        }
    }
}
