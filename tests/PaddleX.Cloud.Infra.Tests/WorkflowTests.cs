using PaddleX.Cloud.Infra.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>GitHub workflows validate with @action-validator/cli and do what the issue asks.</summary>
public sealed class WorkflowTests
{
    private static YamlMappingNode Load(string name)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(RepoPaths.Combine(".github", "workflows", name)));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static string Text(string name) => File.ReadAllText(RepoPaths.Combine(".github", "workflows", name));

    [Theory]
    [InlineData("ci.yml")]
    [InlineData("deploy.yml")]
    public void Workflow_passes_action_validator(string name)
    {
        // Run from the repository root: action-validator also checks path globs against the tree.
        var result = ToolRunner.Run(
            Tools.Npm("action-validator"),
            [Path.Combine(".github", "workflows", name)],
            RepoPaths.Root);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void Action_validator_rejects_a_broken_workflow()
    {
        var dir = Directory.CreateTempSubdirectory("paddlex-workflow-").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.yml");
            File.WriteAllText(bad, "name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n");
            var result = ToolRunner.Run(Tools.Npm("action-validator"), [bad], dir);
            Assert.NotEqual(0, result.ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Ci_restores_builds_and_runs_the_single_test_command_on_pushes_and_prs()
    {
        var root = Load("ci.yml");
        var on = (YamlMappingNode)root["on"];
        Assert.True(on.Children.ContainsKey("push"));
        Assert.True(on.Children.ContainsKey("pull_request"));

        var job = (YamlMappingNode)((YamlMappingNode)root["jobs"]).Children.Values.Single();
        Assert.Equal("ubuntu-latest", job["runs-on"].ToString());
        var steps = ((YamlSequenceNode)job["steps"]).Cast<YamlMappingNode>().ToList();
        string? With(string action, string key) => steps
            .Where(s => s.Children.ContainsKey("uses") && s["uses"].ToString().StartsWith(action, StringComparison.Ordinal))
            .Select(s => ((YamlMappingNode)s["with"])[key].ToString())
            .SingleOrDefault();
        Assert.Equal("10.0.x", With("actions/setup-dotnet@", "dotnet-version"));
        Assert.Equal("20", With("actions/setup-node@", "node-version"));

        var runs = steps.Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString().Trim()).ToList();
        var restore = runs.FindIndex(r => r.StartsWith("dotnet restore", StringComparison.Ordinal));
        var build = runs.FindIndex(r => r.StartsWith("dotnet build", StringComparison.Ordinal));
        var test = runs.IndexOf("./test.sh");
        Assert.True(restore >= 0 && build > restore && test > build, "expected restore, build, ./test.sh in order");
    }

    [Fact]
    public void Deploy_logs_in_with_oidc_and_runs_what_if_deploy_publish_push_and_roll()
    {
        var root = Load("deploy.yml");
        var permissions = (YamlMappingNode)root["permissions"];
        Assert.Equal("write", permissions["id-token"].ToString());

        var text = Text("deploy.yml");
        Assert.Contains("uses: azure/login@", text, StringComparison.Ordinal);
        Assert.Contains("client-id:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("client-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("creds:", text, StringComparison.Ordinal);

        var order = new[]
        {
            "./scripts/deploy-infra.sh what-if",
            "./scripts/deploy-infra.sh deploy",
            "./scripts/publish-functions.sh",
            "./scripts/build-push-worker.sh",
            "./scripts/roll-worker.sh",
        };
        var positions = order.Select(s => text.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0));
        Assert.Equal(positions.Order().ToList(), positions);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Every_script_a_workflow_calls_exists_and_is_executable()
    {
        var scripts = new[] { "ci.yml", "deploy.yml" }
            .SelectMany(w => System.Text.RegularExpressions.Regex.Matches(Text(w), @"\./(scripts/[\w.-]+\.sh|test\.sh)"))
            .Select(m => m.Groups[1].Value)
            .Distinct()
            .ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts.Where(s => s != "test.sh"))
        {
            var path = RepoPaths.Combine(script.Split('/'));
            Assert.True(File.Exists(path), $"{script} is missing");
            Assert.True(
                (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0,
                $"{script} is not executable (git update-index --chmod=+x)");
        }
    }

    [Fact]
    public void Deploy_runs_only_for_a_commit_whose_ci_passed_on_main()
    {
        var root = Load("deploy.yml");
        var on = (YamlMappingNode)root["on"];
        Assert.False(on.Children.ContainsKey("push"), "deploy.yml must not deploy pushes before CI has run");
        var run = (YamlMappingNode)on["workflow_run"];
        Assert.Equal(["ci"], ((YamlSequenceNode)run["workflows"]).Select(n => n.ToString()));
        Assert.Equal(["completed"], ((YamlSequenceNode)run["types"]).Select(n => n.ToString()));
        Assert.Equal(["main"], ((YamlSequenceNode)run["branches"]).Select(n => n.ToString()));
        Assert.Equal("ci", Load("ci.yml")["name"].ToString());

        // The first job gates the rest on CI's conclusion, and every job checks out the tested commit.
        var jobs = (YamlMappingNode)root["jobs"];
        var infra = (YamlMappingNode)jobs["infra"];
        Assert.Contains("github.event.workflow_run.conclusion == 'success'", infra["if"].ToString(), StringComparison.Ordinal);
        foreach (var (name, job) in jobs.Children)
        {
            var needs = ((YamlMappingNode)job).Children.TryGetValue("needs", out var n) ? n.ToString() : string.Empty;
            Assert.True(name.ToString() == "infra" || needs.Contains("infra", StringComparison.Ordinal), $"job {name} does not wait for infra");
        }

        Assert.Contains("github.event.workflow_run.head_sha", Text("deploy.yml"), StringComparison.Ordinal);
        Assert.DoesNotContain("IMAGE_TAG: ${{ github.sha }}", Text("deploy.yml"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ci.yml")]
    [InlineData("deploy.yml")]
    public void Every_action_is_pinned_to_a_full_commit_sha(string name)
    {
        var uses = System.Text.RegularExpressions.Regex.Matches(Text(name), @"uses:\s*(\S+)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(uses);
        Assert.All(uses, u => Assert.Matches(@"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$", u));
    }
}
