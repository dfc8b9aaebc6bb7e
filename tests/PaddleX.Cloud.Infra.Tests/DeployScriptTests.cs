using System.Text.RegularExpressions;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>The scripts that guard a deployment, run for real with a stand-in `az` on PATH that
/// answers like the Azure CLI.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class DeployScriptTests(BicepFixture bicep) : IClassFixture<BicepFixture>
{
    private static ToolResult CheckRegion(string location, string supportedProfiles, string flexRegions, string? profile = null)
    {
        var dir = Directory.CreateTempSubdirectory("paddlex-az-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "profiles.txt"), supportedProfiles);
            File.WriteAllText(Path.Combine(dir, "flex.txt"), flexRegions);
            var az = Path.Combine(dir, "az");
            File.WriteAllText(az, $$"""
                #!/bin/sh
                case "$*" in
                  "containerapp env workload-profile list-supported --location {{location.ToLowerInvariant()}} --query [].name --output tsv") cat "{{dir}}/profiles.txt" ;;
                  "functionapp list-flexconsumption-locations --query [].name --output tsv") cat "{{dir}}/flex.txt" ;;
                  *) echo "unexpected az call: $*" >&2; exit 3 ;;
                esac
                """);
            File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var path = dir + ":" + Environment.GetEnvironmentVariable("PATH");
            var env = new List<string> { $"PATH={path}", $"AZURE_LOCATION={location}" };
            if (profile is not null)
            {
                env.Add($"PADDLEX_GPU_PROFILE={profile}");
            }

            return ToolRunner.Run("env", [.. env, "bash", RepoPaths.Combine("scripts", "check-region.sh")]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Region_check_accepts_a_region_with_the_gpu_profile_and_flex_consumption()
    {
        var result = CheckRegion("SwedenCentral", "Consumption\nConsumption-GPU-NC8as-T4\nD4\n", "swedencentral\nwestus3\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("swedencentral offers Consumption-GPU-NC8as-T4", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Region_check_refuses_a_region_without_the_gpu_profile()
    {
        var result = CheckRegion("northeurope", "Consumption\nD4\nE4\n", "northeurope\n");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not offer the workload profile Consumption-GPU-NC8as-T4", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Region_check_follows_the_chosen_gpu_profile_and_checks_flex_consumption()
    {
        var a100 = CheckRegion("westus3", "Consumption\nConsumption-GPU-NC8as-T4\n", "westus3\n", "Consumption-GPU-NC24-A100");
        Assert.Equal(1, a100.ExitCode);
        Assert.Contains("Consumption-GPU-NC24-A100", a100.Output, StringComparison.Ordinal);

        var noFlex = CheckRegion("westus3", "Consumption-GPU-NC8as-T4\n", "swedencentral\n");
        Assert.Equal(1, noFlex.ExitCode);
        Assert.Contains("Flex Consumption", noFlex.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Provisioning_runs_the_region_check_first()
    {
        var azure = File.ReadAllText(RepoPaths.Combine("azure.yaml"));
        Assert.Matches(new Regex(@"preprovision:\s+posix:\s+shell: sh\s+run: \./scripts/check-region\.sh"), azure);
        var deploy = File.ReadAllText(RepoPaths.Combine("scripts", "deploy-infra.sh"));
        Assert.True(
            deploy.IndexOf("scripts/check-region.sh", StringComparison.Ordinal) is var check && check > 0
            && check < deploy.IndexOf("az deployment sub what-if", StringComparison.Ordinal),
            "deploy-infra.sh must check the region before the what-if");
    }

    [Fact]
    public void The_deploy_principal_may_assign_exactly_the_roles_the_template_assigns()
    {
        bicep.EnsureCompiled();
        var result = ToolRunner.Run(
            "env",
            ["PRINT_CONDITION_ONLY=1", "DEPLOY_PRINCIPAL_ID=00000000-0000-0000-0000-000000000001", "AZURE_SUBSCRIPTION_ID=sub", "bash", RepoPaths.Combine("scripts", "grant-deploy-principal.sh")]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var condition = result.StdOut.Trim();

        // Both creating and deleting assignments are limited to the same role list.
        Assert.Contains("ActionMatches{'Microsoft.Authorization/roleAssignments/write'}", condition, StringComparison.Ordinal);
        Assert.Contains("ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}", condition, StringComparison.Ordinal);
        var lists = RoleList().Matches(condition).Select(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList()).ToList();
        Assert.Equal(2, lists.Count);

        var templateRoles = bicep.Compiled["variables"]!["roles"]!.AsObject().Select(p => p.Value!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.All(lists, list => Assert.Equal(templateRoles, list));

        // Every role assignment in the template uses one of those roles.
        var assigned = bicep.Resources.OfType("Microsoft.Authorization/roleAssignments").ToList();
        Assert.NotEmpty(assigned);
        var docs = File.ReadAllText(RepoPaths.Combine("docs", "deploy.md"));
        Assert.Contains("scripts/grant-deploy-principal.sh", docs, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"--role ""Role Based Access Control Administrator"" \\\s+--scope ""/subscriptions/\$SUB""\s*$", RegexOptions.Multiline), docs);
    }

    [GeneratedRegex(@"GuidEquals \{([^}]*)\}")]
    private static partial Regex RoleList();
}
