using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>infra/bicep compiles and lints clean with the pinned Bicep CLI, and says what the issue asks.</summary>
public sealed partial class BicepTests(BicepFixture bicep) : IClassFixture<BicepFixture>
{
    [GeneratedRegex(@"\b(Warning|Error)\b\s+[A-Za-z0-9-]+:", RegexOptions.CultureInvariant)]
    private static partial Regex Diagnostic();

    // Keeps quotes readable in compiled expressions: [parameters('x')] instead of \u0027.
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static void AssertClean(ToolResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(Diagnostic().IsMatch(result.Output), "diagnostics reported:\n" + result);
        Assert.True(result.Output.Length == 0, "expected no output at all:\n" + result);
    }

    [Fact]
    public void Bicep_cli_is_the_pinned_version()
    {
        var result = ToolRunner.Run(Tools.Bicep, ["--version"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"Bicep CLI version {Tools.BicepVersion}", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Main_bicep_builds_with_no_errors_and_no_warnings()
    {
        AssertClean(bicep.Build);
        bicep.EnsureCompiled();
    }

    [Fact]
    public void Main_bicep_lints_with_no_errors_and_no_warnings()
    {
        AssertClean(ToolRunner.Run(Tools.Bicep, ["lint", RepoPaths.MainBicep]));
    }

    [Fact]
    public void Dev_parameters_file_lints_with_no_errors_and_no_warnings()
    {
        AssertClean(ToolRunner.Run(Tools.Bicep, ["lint", RepoPaths.Combine("infra", "bicep", "dev.bicepparam")]));
    }

    [Fact]
    public void Every_module_is_used_by_main_so_linting_main_covers_it()
    {
        // `bicep lint main.bicep` reports the diagnostics of every module main references.
        var main = File.ReadAllText(RepoPaths.MainBicep);
        var modules = Directory.EnumerateFiles(RepoPaths.Combine("infra", "bicep", "modules"), "*.bicep").ToList();
        Assert.NotEmpty(modules);
        Assert.All(modules, m => Assert.Contains($"'modules/{Path.GetFileName(m)}'", main, StringComparison.Ordinal));
        Assert.Equal(
            ["main.bicep"],
            Directory.EnumerateFiles(RepoPaths.BicepDir, "*.bicep").Select(Path.GetFileName).ToList());
    }

    [Fact]
    public void Dev_parameters_file_builds_and_targets_main()
    {
        var outDir = Directory.CreateTempSubdirectory("paddlex-bicepparam-").FullName;
        try
        {
            var outFile = Path.Combine(outDir, "dev.parameters.json");
            var result = ToolRunner.Run(
                Tools.Bicep,
                ["build-params", RepoPaths.Combine("infra", "bicep", "dev.bicepparam"), "--outfile", outFile]);
            AssertClean(result);
            var parameters = JsonNode.Parse(File.ReadAllText(outFile))!["parameters"]!.AsObject();
            Assert.Equal("Consumption-GPU-NC8as-T4", parameters["gpuProfileType"]!["value"]!.GetValue<string>());
            Assert.Equal("paddlex-jobs", parameters["jobsQueueName"]!["value"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public void Lint_reports_a_warning_for_a_known_bad_file()
    {
        // Control: proves the linter is really running with its rules on.
        var dir = Directory.CreateTempSubdirectory("paddlex-bicep-bad-").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.bicep");
            File.WriteAllText(bad, "param unused string\n");
            var result = ToolRunner.Run(Tools.Bicep, ["lint", bad]);
            Assert.Contains("no-unused-params", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Main_is_subscription_scoped_and_creates_the_resource_group()
    {
        bicep.EnsureCompiled();
        Assert.Contains("subscriptionDeploymentTemplate.json", bicep.Compiled["$schema"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(bicep.Resources.OfType("Microsoft.Resources/resourceGroups"));
    }

    [Fact]
    public void Worker_scales_from_zero_on_the_service_bus_queue_with_keda()
    {
        bicep.EnsureCompiled();
        var app = Assert.Single(bicep.Resources.OfType("Microsoft.App/containerApps"));
        var scale = app.Properties!["template"]!["scale"]!.AsObject();
        Assert.Equal(0, scale["minReplicas"]!.GetValue<int>());
        Assert.Equal("[parameters('maxReplicas')]", scale["maxReplicas"]!.GetValue<string>());

        var rule = Assert.Single(scale["rules"]!.AsArray())!["custom"]!.AsObject();
        Assert.Equal("azure-servicebus", rule["type"]!.GetValue<string>());
        Assert.Equal("[parameters('scalerIdentityId')]", rule["identity"]!.GetValue<string>());
        var metadata = rule["metadata"]!.AsObject();
        Assert.Equal("[parameters('serviceBusNamespaceName')]", metadata["namespace"]!.GetValue<string>());
        Assert.Equal("[parameters('queueName')]", metadata["queueName"]!.GetValue<string>());
        Assert.Equal("[string(parameters('messagesPerReplica'))]", metadata["messageCount"]!.GetValue<string>());

        // Max replicas and messages per replica are configurable from main.
        var parameters = bicep.Compiled["parameters"]!.AsObject();
        Assert.True(parameters.ContainsKey("workerMaxReplicas"));
        Assert.True(parameters.ContainsKey("workerMessagesPerReplica"));

        // Scale-in or a new revision gives a busy replica time to checkpoint and abandon its job.
        Assert.Equal("[parameters('terminationGracePeriodSeconds')]", app.Properties!["template"]!["terminationGracePeriodSeconds"]!.GetValue<string>());

        // No connection-string secret anywhere: KEDA authenticates with the scaler identity.
        Assert.Null(app.Properties!["configuration"]!["secrets"]);
    }

    [Fact]
    public void Worker_runs_on_a_gpu_workload_profile_and_is_probed_on_health()
    {
        bicep.EnsureCompiled();
        var environment = Assert.Single(bicep.Resources.OfType("Microsoft.App/managedEnvironments"));
        var profiles = environment.Properties!["workloadProfiles"]!.AsArray();
        Assert.Equal(2, profiles.Count);
        Assert.Contains(profiles, p => p is JsonObject o && o["workloadProfileType"]?.GetValue<string>() == "Consumption");
        Assert.Contains(profiles, p => p?.ToJsonString(Relaxed).Contains("gpuProfile", StringComparison.Ordinal) == true);
        Assert.Equal("Consumption-GPU-NC8as-T4", environment.DefaultOf("gpuProfileType"));
        var allowed = environment.Template["parameters"]!["gpuProfileType"]!["allowedValues"]!.AsArray()
            .Select(v => v!.GetValue<string>()).ToList();
        Assert.All(allowed, v => Assert.Matches("GPU|A100", v));

        var app = Assert.Single(bicep.Resources.OfType("Microsoft.App/containerApps"));
        Assert.Equal("[parameters('gpuProfileName')]", app.Properties!["workloadProfileName"]!.GetValue<string>());
        Assert.Equal("gpu", app.DefaultOf("gpuProfileName"));
        var probes = app.Template["variables"]!["probes"]!.ToJsonString(Relaxed);
        Assert.Contains("/health", probes, StringComparison.Ordinal);
        Assert.Equal("8080", app.DefaultOf("healthPort"));

        // Pulls from ACR with the worker identity, not an admin password.
        var registries = app.Properties!["configuration"]!["registries"]!.AsArray();
        Assert.Equal("[parameters('workerIdentityId')]", registries[0]!["identity"]!.GetValue<string>());
    }

    [Fact]
    public void Function_app_is_flex_consumption_dotnet_isolated_10_with_a_system_identity()
    {
        bicep.EnsureCompiled();
        var plan = Assert.Single(bicep.Resources.OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("FC1", plan.Node["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("FlexConsumption", plan.Node["sku"]!["tier"]!.GetValue<string>());

        var site = Assert.Single(bicep.Resources.OfType("Microsoft.Web/sites"));
        Assert.Equal("SystemAssigned", site.Node["identity"]!["type"]!.GetValue<string>());
        var config = site.Properties!["functionAppConfig"]!.AsObject();
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("SystemAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());

        // Identity-based host storage and App Insights with Entra ID auth, written as one appsettings resource.
        var config2 = Assert.Single(bicep.Resources.OfType("Microsoft.Web/sites/config"));
        var settings = config2.Node["properties"]!.ToJsonString(Relaxed);
        Assert.Contains("AzureWebJobsStorage__credential", settings, StringComparison.Ordinal);
        Assert.Contains("managedidentity", settings, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__blobServiceUri", settings, StringComparison.Ordinal);
        Assert.Contains("Authorization=AAD", settings, StringComparison.Ordinal);
        Assert.Contains("parameters('appSettings')", settings, StringComparison.Ordinal);
        Assert.DoesNotContain("'AzureWebJobsStorage'", settings, StringComparison.Ordinal);
    }

    [Fact]
    public void App_settings_come_from_module_outputs_and_match_the_keys_the_apps_read()
    {
        bicep.EnsureCompiled();
        // Bicep inlines the variable (it reads module outputs): read it where it is passed to the API module.
        var apiModule = Assert.Single(bicep.Resources.OfType("Microsoft.Resources/deployments"), m => m.Node["name"]!.GetValue<string>() == "api");
        var settings = apiModule.Node["properties"]!["parameters"]!["appSettings"]!["value"]!.AsObject();
        Assert.Equal("azure", settings["Backend"]!.GetValue<string>());
        Assert.Equal("ServiceBus", settings["Jobs__Transport"]!.GetValue<string>());
        Assert.Contains("outputs.endpoint", settings["Cosmos__Endpoint"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("outputs.databaseName", settings["Cosmos__Database"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("outputs.blobEndpoint", settings["Storage__BlobEndpoint"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("outputs.fullyQualifiedNamespace", settings["Jobs__Namespace"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("outputs.queueName", settings["Jobs__Queue"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("applicationInsightsConnectionString", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]!.GetValue<string>(), StringComparison.Ordinal);

        // Keys and connection strings are never set: the apps fall back to DefaultAzureCredential.
        Assert.DoesNotContain(settings, s => s.Key.EndsWith("ConnectionString", StringComparison.Ordinal));
        Assert.Equal("paddlex", bicep.Compiled["parameters"]!["cosmosDatabaseName"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal("paddlex-jobs", bicep.Compiled["parameters"]!["jobsQueueName"]!["defaultValue"]!.GetValue<string>());

        // The worker additionally gets AZURE_CLIENT_ID for its user-assigned identity.
        var app = Assert.Single(bicep.Resources.OfType("Microsoft.App/containerApps"));
        Assert.Contains("AZURE_CLIENT_ID", app.Template.ToJsonString(Relaxed), StringComparison.Ordinal);
        var workerModule = Assert.Single(bicep.Resources.OfType("Microsoft.Resources/deployments"), m => m.Node["name"]!.GetValue<string>() == "container-apps");
        Assert.Contains("Jobs__Namespace", workerModule.Node["properties"]!["parameters"]!["appSettings"]!.ToJsonString(Relaxed), StringComparison.Ordinal);
    }

    [Fact]
    public void Api_callers_are_checked_by_an_api_key_setting_and_cross_origin_callers_are_listed()
    {
        bicep.EnsureCompiled();
        var parameters = bicep.Compiled["parameters"]!;
        Assert.Equal("securestring", parameters["apiKey"]!["type"]!.GetValue<string>());
        Assert.Null(parameters["apiKey"]!["defaultValue"]); // every deployment chooses its key
        Assert.Equal(string.Empty, parameters["allowedOrigins"]!["defaultValue"]!.GetValue<string>()); // no cross-origin unless listed

        var apiModule = Assert.Single(bicep.Resources.OfType("Microsoft.Resources/deployments"), m => m.Node["name"]!.GetValue<string>() == "api");
        var passed = apiModule.Node["properties"]!["parameters"]!;
        Assert.Equal("[parameters('apiKey')]", passed["apiKey"]!["value"]!.GetValue<string>());
        Assert.Contains("parameters('allowedOrigins')", passed["allowedOrigins"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        var module = apiModule.Node["properties"]!["template"]!["parameters"]!;
        Assert.Equal("securestring", module["apiKey"]!["type"]!.GetValue<string>());

        // The app settings the API reads: Api:ApiKey and Api:AllowedOrigins:N, in the one appsettings resource.
        var template = apiModule.Node["properties"]!["template"]!.ToJsonString(Relaxed);
        Assert.Contains("'Api__ApiKey', parameters('apiKey')", template, StringComparison.Ordinal);
        Assert.Contains("'Api__AllowedOrigins__{0}'", template, StringComparison.Ordinal);
        var settings = Assert.Single(bicep.Resources.OfType("Microsoft.Web/sites/config")).Node["properties"]!.ToJsonString(Relaxed);
        Assert.Contains("variables('apiSettings')", settings, StringComparison.Ordinal);

        // The platform's own CORS would answer preflights before the functions and ignore Api:AllowedOrigins.
        var site = Assert.Single(bicep.Resources.OfType("Microsoft.Web/sites"));
        Assert.Null(site.Properties!["siteConfig"]!["cors"]);

        var azd = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("infra", "bicep", "main.parameters.json")))!["parameters"]!;
        Assert.Equal("${PADDLEX_API_KEY}", azd["apiKey"]!["value"]!.GetValue<string>());
        Assert.Equal("${PADDLEX_ALLOWED_ORIGINS=}", azd["allowedOrigins"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Local_auth_and_shared_keys_are_disabled_everywhere()
    {
        bicep.EnsureCompiled();
        var cosmos = Assert.Single(bicep.Resources.OfType("Microsoft.DocumentDB/databaseAccounts"));
        Assert.True(cosmos.Properties!["disableLocalAuth"]!.GetValue<bool>());
        var serviceBus = Assert.Single(bicep.Resources.OfType("Microsoft.ServiceBus/namespaces"));
        Assert.True(serviceBus.Properties!["disableLocalAuth"]!.GetValue<bool>());
        var insights = Assert.Single(bicep.Resources.OfType("Microsoft.Insights/components"));
        Assert.True(insights.Properties!["DisableLocalAuth"]!.GetValue<bool>());
        var storage = Assert.Single(bicep.Resources.OfType("Microsoft.Storage/storageAccounts"));
        Assert.False(storage.Properties!["allowSharedKeyAccess"]!.GetValue<bool>());
        var registry = Assert.Single(bicep.Resources.OfType("Microsoft.ContainerRegistry/registries"));
        Assert.False(registry.Properties!["adminUserEnabled"]!.GetValue<bool>());

        // Nothing reads keys at deployment time either.
        Assert.DoesNotContain("listKeys(", bicep.CompiledText, StringComparison.Ordinal);
        Assert.DoesNotContain("listConnectionStrings(", bicep.CompiledText, StringComparison.Ordinal);
        Assert.DoesNotContain("sharedKey", bicep.CompiledText, StringComparison.Ordinal);
    }

    [Fact]
    public void Cosmos_is_serverless_with_database_paddlex_and_partition_key_pk()
    {
        bicep.EnsureCompiled();
        var cosmos = Assert.Single(bicep.Resources.OfType("Microsoft.DocumentDB/databaseAccounts"));
        Assert.Contains(
            cosmos.Properties!["capabilities"]!.AsArray(),
            c => c!["name"]!.GetValue<string>() == "EnableServerless");
        var container = Assert.Single(bicep.Resources.OfType("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"));
        var paths = container.Properties!["resource"]!["partitionKey"]!["paths"]!.AsArray();
        Assert.Equal("/pk", Assert.Single(paths)!.GetValue<string>());
        Assert.Single(bicep.Resources.OfType("Microsoft.DocumentDB/databaseAccounts/sqlDatabases"));
    }

    [Fact]
    public void Jobs_queue_has_lock_duration_max_delivery_count_and_dead_lettering()
    {
        bicep.EnsureCompiled();
        var queue = Assert.Single(bicep.Resources.OfType("Microsoft.ServiceBus/namespaces/queues"));
        var props = queue.Properties!;
        Assert.Equal("[parameters('lockDuration')]", props["lockDuration"]!.GetValue<string>());
        Assert.Equal("[parameters('maxDeliveryCount')]", props["maxDeliveryCount"]!.GetValue<string>());
        Assert.True(props["deadLetteringOnMessageExpiration"]!.GetValue<bool>());
        Assert.Equal("PT5M", bicep.Compiled["parameters"]!["jobsLockDuration"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal(5, bicep.Compiled["parameters"]!["jobsMaxDeliveryCount"]!["defaultValue"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor")]
    [InlineData("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Storage Queue Data Contributor")]
    [InlineData("69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "Azure Service Bus Data Sender")]
    [InlineData("4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", "Azure Service Bus Data Receiver")]
    [InlineData("7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull")]
    [InlineData("3913510d-42f4-4e42-8a64-420c390055eb", "Monitoring Metrics Publisher")]
    public void Identities_get_data_roles_instead_of_keys(string roleId, string roleName)
    {
        bicep.EnsureCompiled();
        var roles = bicep.Compiled["variables"]!["roles"]!.ToJsonString(Relaxed);
        Assert.True(roles.Contains(roleId, StringComparison.Ordinal), $"{roleName} ({roleId}) is not granted");

        // Granted through the rbac module, whose assignments are deterministic and typed.
        var assignments = bicep.Resources.OfType("Microsoft.Authorization/roleAssignments").ToList();
        Assert.NotEmpty(assignments);
        Assert.All(assignments, a =>
        {
            Assert.StartsWith("[guid(", a.Node["name"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.NotNull(a.Properties!["principalType"]);
        });
    }

    [Fact]
    public void Cosmos_data_contributor_is_granted_with_sql_role_assignments()
    {
        bicep.EnsureCompiled();
        var assignments = bicep.Resources.OfType("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments").ToList();
        Assert.NotEmpty(assignments);
        Assert.All(assignments, a =>
            Assert.Contains("sqlRoleDefinitions", a.Properties!["roleDefinitionId"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains("00000000-0000-0000-0000-000000000002", bicep.CompiledText, StringComparison.Ordinal);
    }

    [Fact]
    public void Resources_are_named_from_the_resource_token_and_tagged_for_azd()
    {
        bicep.EnsureCompiled();
        var variables = bicep.Compiled["variables"]!.AsObject();
        Assert.Equal(
            "[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]",
            variables["resourceToken"]!.GetValue<string>());
        Assert.Equal("[parameters('environmentName')]", variables["tags"]!["azd-env-name"]!.GetValue<string>());

        var site = Assert.Single(bicep.Resources.OfType("Microsoft.Web/sites"));
        var app = Assert.Single(bicep.Resources.OfType("Microsoft.App/containerApps"));
        Assert.Contains("azd-service-name", site.Node["tags"]!.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Contains("azd-service-name", app.Node["tags"]!.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Equal("api", site.DefaultOf("serviceName"));
        Assert.Equal("worker", app.DefaultOf("serviceName"));

        // Every name handed to a module is built from the resource token (directly or through a variable).
        var modules = bicep.Resources.OfType("Microsoft.Resources/deployments").ToList();
        var nameParameters = modules
            .SelectMany(m => m.Node["properties"]!["parameters"]!.AsObject())
            .Where(p => p.Key.EndsWith("Name", StringComparison.Ordinal) || p.Key == "name")
            .Select(p => (p.Key, Value: p.Value!["value"]?.ToJsonString(Relaxed) ?? string.Empty))
            .Where(p => !p.Value.Contains("reference(", StringComparison.Ordinal))
            .Where(p => p.Value.Contains("format(", StringComparison.Ordinal) || p.Value.Contains("variables(", StringComparison.Ordinal))
            .ToList();
        Assert.True(nameParameters.Count >= 10, $"only {nameParameters.Count} generated names found");
        Assert.All(nameParameters, p =>
        {
            var value = p.Value;
            foreach (var (key, definition) in variables.Where(v => v.Key != "resourceToken"))
            {
                value = value.Replace($"variables('{key}')", definition!.ToJsonString(Relaxed), StringComparison.Ordinal);
            }

            Assert.Contains("variables('resourceToken')", value, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Outputs_include_the_api_url_and_what_azd_needs()
    {
        bicep.EnsureCompiled();
        var outputs = bicep.Compiled["outputs"]!.AsObject();
        foreach (var name in new[]
        {
            "API_URL", "SERVICE_API_URI", "AZURE_CONTAINER_REGISTRY_ENDPOINT", "AZURE_RESOURCE_GROUP",
            "AZURE_LOCATION", "AZURE_TENANT_ID", "SERVICE_WORKER_NAME", "AZURE_FUNCTION_APP_NAME",
        })
        {
            Assert.True(outputs.ContainsKey(name), $"output {name} is missing");
        }

        Assert.Contains("outputs.uri", outputs["API_URL"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Azd_parameters_file_maps_only_environment_variables_onto_real_parameters()
    {
        bicep.EnsureCompiled();
        var file = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("infra", "bicep", "main.parameters.json")))!;
        var declared = bicep.Compiled["parameters"]!.AsObject();
        var mapped = file["parameters"]!.AsObject();
        Assert.True(mapped.ContainsKey("environmentName") && mapped.ContainsKey("location"));
        foreach (var (name, node) in mapped)
        {
            Assert.True(declared.ContainsKey(name), $"main.parameters.json sets unknown parameter '{name}'");
            var value = node!["value"]!.GetValue<string>();
            Assert.Matches(@"^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$", value);
        }
    }
}
