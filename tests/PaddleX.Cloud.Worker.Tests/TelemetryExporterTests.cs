using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaddleX.Cloud.ServiceDefaults;

namespace PaddleX.Cloud.Worker.Tests;

/// <summary>Application Insights has local auth disabled: the exporters need an Entra ID credential
/// whenever the deployed settings (APPLICATIONINSIGHTS_AUTHENTICATION_STRING, set by Bicep) ask for it.</summary>
public sealed class TelemetryExporterTests
{
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/";

    private static AzureMonitorExporterOptions ConfiguredExporter(string? authentication)
    {
        var settings = new Dictionary<string, string?> { [AzureMonitorSettings.ConnectionStringKey] = ConnectionString };
        if (authentication is not null)
        {
            settings[AzureMonitorSettings.AuthenticationStringKey] = authentication;
        }

        var services = new ServiceCollection();
        services.AddPaddleXTelemetry(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), "test");
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
    }

    [Theory]
    [InlineData("Authorization=AAD;ClientId=11111111-2222-3333-4444-555555555555")] // the worker's user-assigned identity
    [InlineData("Authorization=AAD")] // the Functions app's system-assigned identity
    public void The_trace_exporter_gets_a_managed_identity_credential_when_the_settings_ask_for_entra_id(string authentication)
    {
        var options = ConfiguredExporter(authentication);
        Assert.Equal(ConnectionString, options.ConnectionString);
        Assert.IsType<ManagedIdentityCredential>(options.Credential);
    }

    [Fact]
    public void Without_an_authentication_string_the_exporter_uses_the_connection_string_alone()
    {
        var options = ConfiguredExporter(null);
        Assert.Equal(ConnectionString, options.ConnectionString);
        Assert.Null(options.Credential);
    }

    [Fact]
    public void The_log_exporter_gets_the_same_credential()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [AzureMonitorSettings.ConnectionStringKey] = ConnectionString,
            [AzureMonitorSettings.AuthenticationStringKey] = "Authorization=AAD;ClientId=11111111-2222-3333-4444-555555555555",
        }).Build();
        var settings = AzureMonitorSettings.FromConfiguration(configuration)!;
        var options = new AzureMonitorExporterOptions();
        settings.Apply(options);
        Assert.Same(settings.Credential, options.Credential);
        Assert.Null(AzureMonitorSettings.FromConfiguration(new ConfigurationBuilder().Build()));
    }
}
