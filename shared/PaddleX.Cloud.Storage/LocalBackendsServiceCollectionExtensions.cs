using Microsoft.Extensions.DependencyInjection;
using PaddleX.Cloud.Storage.Local;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Storage;

public static class LocalBackendsServiceCollectionExtensions
{
    /// <summary>Registers the one-machine backends over <paramref name="workspaceDirectory"/>: the
    /// Workspace protobuf file, plain files and the durable in-process job queue (singletons).</summary>
    public static IServiceCollection AddLocalBackends(this IServiceCollection services, string workspaceDirectory)
    {
        var directory = Path.GetFullPath(workspaceDirectory);
        services.AddSingleton<IMetadataStore>(_ => new LocalMetadataStore(directory));
        services.AddSingleton<IArtifactStore>(_ => new LocalArtifactStore(directory));
        services.AddSingleton<LocalJobQueue>(_ => new LocalJobQueue(directory));
        services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<LocalJobQueue>());
        return services;
    }
}
