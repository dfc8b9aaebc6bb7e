using System.Text.Json.Nodes;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>The console uploads datasets straight to Blob, so the blob service answers its CORS preflights.</summary>
public sealed class BlobCorsTests(BicepFixture bicep) : IClassFixture<BicepFixture>
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
}
