using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PaddleX.Cloud.Api.Http;
using PaddleX.Cloud.Api.Services;

namespace PaddleX.Cloud.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>The HTTP layer: options from the <c>Api</c> section, the dispatcher and handler
    /// services. The metadata, artifact and job ports must be registered by the host.</summary>
    public static IServiceCollection AddPaddleXApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.Section))
            // One key for workers and API: the catalog the recommended parameters list.
            .PostConfigure(o => o.WeightsCatalog ??= configuration["Training:WeightsCatalog"])
            .Validate(o => o.OriginsAreValid(), ApiOptions.OriginsRule)
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ApiOptions>>().Value);
        services.TryAddSingleton(TimeProvider.System);
        if (string.Equals(configuration["Backend"], "azure", StringComparison.OrdinalIgnoreCase))
        {
            services.TryAddSingleton<IMachineInfo, WorkerMachineInfo>(); // the workers' machines, from their heartbeats
        }
        else
        {
            services.TryAddSingleton<IMachineInfo, LocalMachineInfo>();
        }

        var datasetOptions = new Datasets.DatasetOptions();
        configuration.GetSection(Datasets.DatasetOptions.Section).Bind(datasetOptions);
        services.TryAddSingleton(datasetOptions);
        services.TryAddSingleton<IAnnotationRenderer, DatasetAnnotationRenderer>();
        services.AddSingleton<ApiServices>();
        services.AddSingleton<ApiDispatcher>();
        return services;
    }
}
