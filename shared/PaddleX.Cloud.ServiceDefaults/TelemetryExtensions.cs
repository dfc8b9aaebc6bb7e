using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace PaddleX.Cloud.ServiceDefaults;

public static class TelemetryExtensions
{
    /// <summary>OpenTelemetry traces (HTTP requests, outgoing calls, jobs) and logs with their scopes
    /// (job id, correlation id). Exported to Application Insights when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is configured, with a managed identity credential
    /// when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> asks for Entra ID (see
    /// <see cref="AzureMonitorSettings"/>); otherwise collected for in-process listeners only (the
    /// local default sends nothing anywhere).</summary>
    public static IServiceCollection AddPaddleXTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var exporter = AzureMonitorSettings.FromConfiguration(configuration);
        if (exporter is not null)
        {
            // Registered as options (not only a callback) so that the trace exporter reads them from
            // the container, where they can be inspected.
            services.Configure<AzureMonitorExporterOptions>(exporter.Apply);
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(Telemetry.JobsSourceName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (exporter is not null)
                {
                    tracing.AddAzureMonitorTraceExporter();
                }
            });
        services.AddLogging(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.IncludeScopes = true;
            otel.IncludeFormattedMessage = true;
            if (exporter is not null)
            {
                otel.AddAzureMonitorLogExporter(exporter.Apply);
            }
        }));
        return services;
    }
}
