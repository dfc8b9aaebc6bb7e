using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>What a first `azd up` and a running deployment need from the compiled ARM template
/// (`bicep build`): serial Cosmos role assignments, a Service Bus tier with duplicate detection, one
/// job per GPU replica that stops inside the grace period, a broker cap above the fault limit, an
/// alert on dead letters, and re-provisioning that keeps the worker's image.</summary>
public sealed partial class DeploymentSafetyTests(BicepFixture bicep) : IClassFixture<BicepFixture>
{
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private ArmResource Module(string name) =>
        Assert.Single(bicep.Resources.OfType("Microsoft.Resources/deployments"), m => m.Node["name"]!.GetValue<string>() == name);

    [Fact]
    public void Cosmos_role_assignments_are_created_one_at_a_time_for_api_worker_and_developer()
    {
        bicep.EnsureCompiled();
        // Cosmos locks the account per sqlRoleAssignments write: parallel writes fail with 412.
        var assignment = Assert.Single(bicep.Resources.OfType("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments"));
        var copy = assignment.Node["copy"]!.AsObject();
        Assert.Equal("serial", copy["mode"]!.GetValue<string>());
        Assert.Equal(1, copy["batchSize"]!.GetValue<int>());

        var principals = Module(assignment.Module).Node["properties"]!["parameters"]!["principalIds"]!["value"]!.ToJsonString(Relaxed);
        Assert.Contains("reference('api').outputs.principalId", principals, StringComparison.Ordinal);
        Assert.Contains("reference('identities').outputs.workerPrincipalId", principals, StringComparison.Ordinal);
        Assert.Contains("parameters('principalId')", principals, StringComparison.Ordinal);
    }

    [Fact]
    public void Service_bus_tiers_are_only_those_with_duplicate_detection()
    {
        bicep.EnsureCompiled();
        var allowed = bicep.Compiled["parameters"]!["serviceBusSku"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        Assert.Equal(["Standard", "Premium"], allowed);
        var ns = Assert.Single(bicep.Resources.OfType("Microsoft.ServiceBus/namespaces"));
        var moduleAllowed = ns.Template["parameters"]!["sku"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        Assert.DoesNotContain("Basic", moduleAllowed);
        var queue = Assert.Single(bicep.Resources.OfType("Microsoft.ServiceBus/namespaces/queues"));
        Assert.True(queue.Properties!["requiresDuplicateDetection"]!.GetValue<bool>());
    }

    [Fact]
    public void Worker_runs_one_job_per_replica_and_its_host_stops_inside_the_grace_period()
    {
        bicep.EnsureCompiled();
        var app = Assert.Single(bicep.Resources.OfType("Microsoft.App/containerApps"));
        var env = app.Template["variables"]!["env"]!.GetValue<string>();
        Assert.Contains("createObject('name', 'Worker__Concurrency', 'value', '1')", env, StringComparison.Ordinal);

        // The .NET host waits for the running job (checkpoint, hand-back) at most this long after SIGTERM...
        Assert.Contains("createObject('name', 'DOTNET_shutdownTimeoutSeconds', 'value', string(variables('shutdownTimeoutSeconds')))", env, StringComparison.Ordinal);
        var timeout = app.Template["variables"]!["shutdownTimeoutSeconds"]!.GetValue<string>();
        var margin = Regex.Match(timeout, @"^\[max\(sub\(parameters\('terminationGracePeriodSeconds'\), (\d+)\), (\d+)\)\]$");
        Assert.True(margin.Success, timeout);
        Assert.True(int.Parse(margin.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 10, "the host must stop well before SIGKILL");

        // ...which is inside the platform's grace period, the maximum Container Apps allows.
        Assert.Equal("600", app.DefaultOf("terminationGracePeriodSeconds"));
        Assert.Equal("[parameters('terminationGracePeriodSeconds')]", app.Properties!["template"]!["terminationGracePeriodSeconds"]!.GetValue<string>());
    }

    [Fact]
    public void The_broker_cap_is_far_above_the_workers_fault_limit()
    {
        bicep.EnsureCompiled();
        var parameters = bicep.Compiled["parameters"]!;
        var faults = parameters["jobsMaxDeliveryCount"]!["defaultValue"]!.GetValue<int>();
        var cap = parameters["jobsBrokerMaxDeliveryCount"]!["defaultValue"]!.GetValue<int>();
        Assert.True(cap >= 10 * faults, $"broker cap {cap} must leave room for hand-backs above the fault limit {faults}");

        // The queue gets the cap, the apps the fault limit.
        var serviceBus = Module("servicebus").Node["properties"]!["parameters"]!;
        Assert.Equal("[parameters('jobsBrokerMaxDeliveryCount')]", serviceBus["maxDeliveryCount"]!["value"]!.GetValue<string>());
        var settings = Module("api").Node["properties"]!["parameters"]!["appSettings"]!["value"]!.AsObject();
        Assert.Equal("[string(parameters('jobsMaxDeliveryCount'))]", settings["Jobs__MaxDeliveryCount"]!.GetValue<string>());
    }

    [Fact]
    public void Dead_lettered_jobs_raise_an_alert()
    {
        bicep.EnsureCompiled();
        var alert = Assert.Single(bicep.Resources.OfType("Microsoft.Insights/metricAlerts"));
        var criteria = alert.Properties!["criteria"]!.ToJsonString(Relaxed);
        Assert.Contains("\"metricName\":\"DeadletteredMessages\"", criteria, StringComparison.Ordinal);
        Assert.Contains("\"EntityName\"", criteria, StringComparison.Ordinal);
        Assert.Contains("\"threshold\":0", criteria, StringComparison.Ordinal);
        Assert.Contains("namespace", alert.Properties!["scopes"]!.ToJsonString(Relaxed), StringComparison.Ordinal);
    }

    [Fact]
    public void Provisioning_without_an_image_name_keeps_the_image_the_worker_runs()
    {
        bicep.EnsureCompiled();
        // azd sets SERVICE_WORKER_RESOURCE_EXISTS once the app exists; a fresh azd environment has no image name.
        var file = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("infra", "bicep", "main.parameters.json")))!;
        Assert.Equal("${SERVICE_WORKER_RESOURCE_EXISTS=false}", file["parameters"]!["workerExists"]!["value"]!.GetValue<string>());

        var lookup = Module("worker-current-image");
        // Reads the app's current image only when it exists (ARM fails on a missing resource).
        Assert.Equal(
            "[if(parameters('exists'), reference(resourceId('Microsoft.App/containerApps', parameters('workerAppName')), '2025-01-01').template.containers[0].image, '')]",
            lookup.Node["properties"]!["template"]!["outputs"]!["image"]!["value"]!.GetValue<string>());
        Assert.Contains("parameters('workerExists')", lookup.Node["properties"]!["parameters"]!["exists"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);

        var image = Module("container-apps").Node["properties"]!["parameters"]!["workerImage"]!.ToJsonString(Relaxed);
        Assert.Contains("parameters('workerImage')", image, StringComparison.Ordinal);
        Assert.Contains("reference('workerCurrentImage').outputs.image", image, StringComparison.Ordinal);

        // The placeholder image is never probed as if it were the worker.
        var app = Assert.Single(bicep.Resources.OfType("Microsoft.App/containerApps"));
        Assert.Contains("variables('placeholderImage')", app.Template["variables"]!["usePlaceholder"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
