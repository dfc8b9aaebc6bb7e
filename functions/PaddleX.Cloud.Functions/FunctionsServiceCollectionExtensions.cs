using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PaddleX.Cloud.Api;
using PaddleX.Cloud.Azure;
using PaddleX.Cloud.Datasets.Jobs;
using PaddleX.Cloud.ServiceDefaults;
using PaddleX.Cloud.Storage.Ports;

namespace PaddleX.Cloud.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>Refusal of a Functions app that would serve anyone.</summary>
    public const string NoKeyRule =
        "The Functions app needs Api:ApiKey (app setting Api__ApiKey; clients send it as header X-Api-Key or argument api_key), "
        + "or Api:AllowAnonymous=true when something in front of it (e.g. Entra ID through App Service authentication) checks callers.";

    /// <summary>What the Functions app serves with: the configured backends, telemetry and the API,
    /// whose functions are anonymous at the Functions level, so it refuses to start without its own
    /// caller check (see docs/auth.md). CORS allows no origin unless <c>Api:AllowedOrigins</c> lists it.</summary>
    public static IServiceCollection AddPaddleXFunctions(this IServiceCollection services, IConfiguration configuration, string workspaceDirectory)
    {
        services.AddConfiguredBackends(configuration, workspaceDirectory);
        services.AddPaddleXTelemetry(configuration, "paddlex-api");
        services.AddPaddleXApi(configuration);
        services.AddOptions<ApiOptions>()
            .Validate(o => !string.IsNullOrEmpty(o.ApiKey) || o.AllowAnonymous, NoKeyRule)
            .ValidateOnStart();
        // The dead-letter sweep of MaintenanceFunctions: the same targets the worker's handlers fail.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new DeadLetterSweep(
            sp.GetRequiredService<IJobQueue>(),
            JobTargets.All(sp.GetRequiredService<IMetadataStore>(), sp.GetRequiredService<IArtifactStore>(), sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<ILogger<DeadLetterSweep>>()));
        services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = Datasets.DatasetOptions.MaxUploadBytes);
        return services;
    }
}
