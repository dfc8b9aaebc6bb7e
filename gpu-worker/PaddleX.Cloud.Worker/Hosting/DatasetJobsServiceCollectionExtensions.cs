using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

public static class DatasetJobsServiceCollectionExtensions
{
    /// <summary>The dataset import job handler and its options (<c>Datasets</c> section).</summary>
    public static IServiceCollection AddDatasetImports(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new DatasetOptions();
        configuration.GetSection(DatasetOptions.Section).Bind(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IJobHandler, ImportJobHandler>();
        return services;
    }
}
