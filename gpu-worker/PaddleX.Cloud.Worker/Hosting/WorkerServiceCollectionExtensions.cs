using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>The job runner as a hosted service, with the handlers of every job kind.</summary>
    public static IServiceCollection AddJobWorker(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new WorkerOptions();
        configuration.GetSection(WorkerOptions.Section).Bind(options);
        services.AddSingleton(options);
        var training = new TrainingOptions();
        configuration.GetSection(TrainingOptions.Section).Bind(training);
        services.AddSingleton(training);
        services.AddSingleton<IJobHandler, TrainJobHandler>();
        services.AddSingleton<IJobHandler, EvaluateJobHandler>();
        services.AddSingleton<IJobHandler, PredictJobHandler>();
        services.AddSingleton<IJobHandler, ExportJobHandler>();
        services.AddSingleton<JobRunner>();
        services.AddDatasetImports(configuration);
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddSingleton<DeadLetterReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<DeadLetterReconciler>());
        if (options.Heartbeat ?? string.Equals(configuration["Backend"], "azure", StringComparison.OrdinalIgnoreCase))
        {
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton<WorkerHeartbeatService>();
            services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeatService>());
        }
        return services;
    }
}
