using System.Text.Json.Nodes;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

// What the API's Functions app needs of the platform beyond HTTP: the blob service answers the console's
// CORS preflights for direct uploads, and its identity may read the dead-letter queue. A part of
// BicepTests so it shares the one compiled template.
public sealed partial class BicepTests
{
    [Fact]
    public void Blob_service_allows_put_with_blob_type_from_the_function_app_and_the_listed_origins()
    {
        bicep.EnsureCompiled();
        var blobServices = bicep.Resources.OfType("Microsoft.Storage/storageAccounts/blobServices").ToList();
        var service = Assert.Single(blobServices); // one writer of the service properties, so none resets the rule
        Assert.Equal("blob-cors", service.Module);
        Assert.True(service.Properties!["deleteRetentionPolicy"]!["enabled"]!.GetValue<bool>());

        var rule = Assert.Single(service.Properties["cors"]!["corsRules"]!.AsArray())!;
        var methods = rule["allowedMethods"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.Contains("PUT", methods);
        Assert.Contains("OPTIONS", methods);
        var headers = rule["allowedHeaders"]!.AsArray().Select(h => h!.GetValue<string>()).ToList();
        Assert.Contains("x-ms-blob-type", headers);
        Assert.Equal("[parameters('allowedOrigins')]", rule["allowedOrigins"]!.GetValue<string>());

        // main passes the Function app's origin (it serves the console) plus PADDLEX_ALLOWED_ORIGINS.
        var module = Assert.Single(bicep.Resources.OfType("Microsoft.Resources/deployments"), m => m.Node["name"]!.GetValue<string>() == "blob-cors");
        var origins = module.Node["properties"]!["parameters"]!["allowedOrigins"]!["value"]!.GetValue<string>();
        Assert.Contains("reference('api').outputs.uri.value", origins, StringComparison.Ordinal);
        Assert.Contains("parameters('allowedOrigins')", origins, StringComparison.Ordinal);
        var dependsOn = module.Node["dependsOn"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
        Assert.Contains("api", dependsOn);
        Assert.Contains("storage", dependsOn);
    }

    [Fact]
    public void Api_identity_may_peek_the_dead_letter_queue_for_its_timer_sweep()
    {
        // ReconcileDeadLetters (Functions) peeks the dead letters while no worker runs: Service Bus Data Receiver.
        bicep.EnsureCompiled();
        var module = Assert.Single(bicep.Resources.OfType("Microsoft.Resources/deployments"), m => m.Node["name"]!.GetValue<string>() == "rbac-api");
        var roles = module.Node["properties"]!["parameters"]!["serviceBusRoleIds"]!["value"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        Assert.Contains("[variables('roles').serviceBusDataReceiver]", roles);
    }
}
