using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PaddleX.Cloud.Datasets;
using PaddleX.Cloud.Datasets.Demo;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

public static class DatasetJobsServiceCollectionExtensions
{
    /// <summary>The dataset import and demo download job handlers and their options (<c>Datasets</c>
    /// and <c>Demo</c> sections).</summary>
    public static IServiceCollection AddDatasetImports(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new DatasetOptions();
        configuration.GetSection(DatasetOptions.Section).Bind(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IJobHandler, ImportJobHandler>();
        var demo = new DemoOptions();
        configuration.GetSection(DemoOptions.Section).Bind(demo);
        services.TryAddSingleton(demo);
        services.AddSingleton<IJobHandler, DemoJobHandler>();
        return services;
    }
}
