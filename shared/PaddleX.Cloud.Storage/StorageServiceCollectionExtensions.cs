using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The embedded default: metadata, artifacts and the job queue in one workspace folder.</summary>
    public static IServiceCollection AddLocalBackends(this IServiceCollection services, string workspaceDirectory)
    {
        var root = Path.GetFullPath(workspaceDirectory);
        services.AddSingleton<IMetadataStore>(_ => new LocalMetadataStore(root));
        services.AddSingleton<IArtifactStore>(_ => new LocalArtifactStore(root));
        services.AddSingleton<IJobQueue>(_ => new LocalJobQueue(root));
        return services;
    }
}
