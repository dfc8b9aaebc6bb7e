using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;

namespace PaddleX.Cloud.ServiceDefaults;

/// <summary>Where and how telemetry goes to Application Insights, from the standard settings:
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> (where) and <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>
/// (how: <c>Authorization=AAD</c> for the system-assigned identity, <c>Authorization=AAD;ClientId=…</c>
/// for a user-assigned one). With local auth disabled on the component, ingestion without a
/// credential is rejected, so the exporters must get one whenever the settings ask for Entra ID.</summary>
public sealed record AzureMonitorSettings(string ConnectionString, TokenCredential? Credential)
{
    public const string ConnectionStringKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringKey = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Null when no connection string is configured (nothing is exported).</summary>
    public static AzureMonitorSettings? FromConfiguration(IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringKey];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        var parts = (configuration[AuthenticationStringKey] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return new AzureMonitorSettings(connectionString, null);
        }

        var identity = parts.TryGetValue("ClientId", out var clientId) && !string.IsNullOrWhiteSpace(clientId)
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned;
        return new AzureMonitorSettings(connectionString, new ManagedIdentityCredential(identity));
    }

    /// <summary>Applies these settings to an exporter's options.</summary>
    public void Apply(AzureMonitorExporterOptions options)
    {
        options.ConnectionString = ConnectionString;
        if (Credential is not null)
        {
            options.Credential = Credential;
        }
    }
}
