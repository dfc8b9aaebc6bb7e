using PaddleX.Cloud.Infra.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>azure.yaml follows azd conventions and points at the two services.</summary>
public sealed class AzureYamlTests
{
    private static YamlMappingNode Root()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(RepoPaths.Combine("azure.yaml")));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Service(string name) => (YamlMappingNode)((YamlMappingNode)Root()["services"])[name];

    [Fact]
    public void Infra_is_bicep_under_infra_bicep_with_main_as_module()
    {
        var infra = (YamlMappingNode)Root()["infra"];
        Assert.Equal("bicep", infra["provider"].ToString());
        Assert.Equal("infra/bicep", infra["path"].ToString());
        Assert.Equal("main", infra["module"].ToString());
        Assert.True(File.Exists(RepoPaths.Combine("infra", "bicep", "main.bicep")));
        Assert.True(File.Exists(RepoPaths.Combine("infra", "bicep", "main.parameters.json")));
    }

    [Fact]
    public void Has_exactly_the_api_and_worker_services()
    {
        var services = (YamlMappingNode)Root()["services"];
        Assert.Equal(["api", "worker"], services.Children.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Api_is_the_functions_project_hosted_as_a_function()
    {
        var api = Service("api");
        Assert.Equal("functions/PaddleX.Cloud.Functions", api["project"].ToString());
        Assert.Equal("function", api["host"].ToString());
        Assert.Equal("dotnet", api["language"].ToString());
    }

    [Fact]
    public void Worker_is_a_container_app_built_from_gpu_worker_dockerfile_with_the_repo_root_as_context()
    {
        var worker = Service("worker");
        var project = worker["project"].ToString();
        Assert.Equal("gpu-worker/PaddleX.Cloud.Worker", project);
        Assert.Equal("containerapp", worker["host"].ToString());

        // azd resolves docker.path and docker.context relative to the project folder.
        var docker = (YamlMappingNode)worker["docker"];
        var projectDir = RepoPaths.Combine(project.Split('/'));
        var dockerfile = Path.GetFullPath(Path.Combine(projectDir, docker["path"].ToString()));
        var context = Path.GetFullPath(Path.Combine(projectDir, docker["context"].ToString()));
        Assert.Equal(RepoPaths.Combine("gpu-worker", "Dockerfile"), dockerfile);
        Assert.True(File.Exists(dockerfile));
        Assert.Equal(Path.TrimEndingDirectorySeparator(RepoPaths.Root), Path.TrimEndingDirectorySeparator(context));
    }

    [Fact]
    public void Service_names_match_the_azd_service_name_tags_in_bicep()
    {
        var api = File.ReadAllText(RepoPaths.Combine("infra", "bicep", "modules", "functionapp.bicep"));
        var worker = File.ReadAllText(RepoPaths.Combine("infra", "bicep", "modules", "containerapps.bicep"));
        var main = File.ReadAllText(RepoPaths.MainBicep);
        Assert.Contains("'azd-service-name': serviceName", api, StringComparison.Ordinal);
        Assert.Contains("'azd-service-name': serviceName", worker, StringComparison.Ordinal);
        Assert.Contains("serviceName: 'api'", main, StringComparison.Ordinal);
        Assert.Contains("serviceName: 'worker'", main, StringComparison.Ordinal);
        Assert.Contains("'azd-env-name': environmentName", main, StringComparison.Ordinal);
    }
}
