using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.Storage.Ports;
using PaddleX.Cloud.Worker.Jobs;

namespace PaddleX.Cloud.Worker.Hosting;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>The job runner as a hosted service, with the handlers of every job kind.</summary>
    public static IServiceCollection AddJobWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.Section))
            .Validate(o => o.Concurrency >= 1 && o.MaxDeliveryCount >= 1, "Worker:Concurrency and Worker:MaxDeliveryCount must be at least 1.")
            .Validate(o => o.CancelCheckInterval > TimeSpan.Zero && o.HeartbeatInterval > TimeSpan.Zero, "Worker:CancelCheckInterval and Worker:HeartbeatInterval must be positive.")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<WorkerOptions>>().Value);
        services.AddOptions<TrainingOptions>().Bind(configuration.GetSection(TrainingOptions.Section))
            .Validate(o => o.TorchThreads >= 0 && o.ProgressInterval >= TimeSpan.Zero, "Training:TorchThreads and Training:ProgressInterval must not be negative.")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TrainingOptions>>().Value);
        services.AddSingleton<IJobHandler, TrainJobHandler>();
        services.AddSingleton<IJobHandler, EvaluateJobHandler>();
        services.AddSingleton<IJobHandler, PredictJobHandler>();
        services.AddSingleton<IJobHandler, ExportJobHandler>();
        services.AddSingleton<IJobHandler, PruneJobHandler>();
        services.AddSingleton<JobRunner>();
        services.AddDatasetImports(configuration);
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddSingleton(sp => new DeadLetterSweep(sp.GetRequiredService<IJobQueue>(), sp.GetServices<IJobHandler>(), sp.GetRequiredService<ILogger<DeadLetterSweep>>()));
        services.AddSingleton<DeadLetterReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<DeadLetterReconciler>());
        if (configuration.GetValue<bool?>($"{WorkerOptions.Section}:{nameof(WorkerOptions.Heartbeat)}") ?? string.Equals(configuration["Backend"], "azure", StringComparison.OrdinalIgnoreCase))
        {
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton<WorkerHeartbeatService>();
            services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeatService>());
        }
        return services;
    }
}
