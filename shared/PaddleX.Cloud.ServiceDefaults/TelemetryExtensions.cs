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
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is configured; otherwise collected for in-process
    /// listeners only (the local default sends nothing anywhere).</summary>
    public static IServiceCollection AddPaddleXTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var connectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var export = !string.IsNullOrWhiteSpace(connectionString);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(Telemetry.JobsSourceName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (export)
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = connectionString);
                }
            });
        services.AddLogging(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.IncludeScopes = true;
            otel.IncludeFormattedMessage = true;
            if (export)
            {
                otel.AddAzureMonitorLogExporter(o => o.ConnectionString = connectionString);
            }
        }));
        return services;
    }
}
