using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>gpu-worker/Dockerfile lints clean (dockerfile-utils) and has the shape the issue asks for.</summary>
public sealed class DockerfileTests
{
    private static readonly string DockerfilePath = RepoPaths.Combine("gpu-worker", "Dockerfile");

    private static string Text => File.ReadAllText(DockerfilePath);

    private static JsonArray Lint(string path)
    {
        var result = ToolRunner.Run(Tools.Npm("dockerfile-utils"), ["lint", "--json", path]);
        var parsed = JsonNode.Parse(result.StdOut);
        Assert.True(parsed is JsonArray, "dockerfile-utils did not print a JSON array:\n" + result);
        return parsed!.AsArray();
    }

    [Fact]
    public void Dockerfile_lints_with_zero_problems()
    {
        var problems = Lint(DockerfilePath);
        Assert.True(problems.Count == 0, "dockerfile-utils problems:\n" + problems.ToJsonString());
    }

    [Fact]
    public void Linter_reports_problems_for_a_known_bad_dockerfile()
    {
        var dir = Directory.CreateTempSubdirectory("paddlex-dockerfile-").FullName;
        try
        {
            var bad = Path.Combine(dir, "Dockerfile");
            File.WriteAllText(bad, "FROM ubuntu:24.04\nEXPOSE not-a-port\nHEALTHCHECK --interval=1s\n");
            Assert.NotEmpty(Lint(bad));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Torch_backend_build_argument_selects_libtorch_and_the_runtime_stage()
    {
        var text = Text;
        Assert.Matches(new Regex(@"^ARG TORCH_BACKEND=cuda$", RegexOptions.Multiline), text);
        Assert.Contains("-p:TorchBackend=${TORCH_BACKEND}", text, StringComparison.Ordinal);
        Assert.Contains(
            "dotnet publish gpu-worker/PaddleX.Cloud.Worker/PaddleX.Cloud.Worker.csproj",
            text,
            StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^FROM runtime-\$\{TORCH_BACKEND\} AS final$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^FROM \S+ AS runtime-cpu$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^FROM \S+ AS runtime-cuda$", RegexOptions.Multiline), text);
    }

    [Fact]
    public void Cuda_runtime_is_cuda_12_on_ubuntu_24_04_and_the_build_is_multi_stage()
    {
        var text = Text;
        Assert.Matches(new Regex(@"^ARG CUDA_VERSION=12\.\d+\.\d+$", RegexOptions.Multiline), text);
        Assert.Matches(
            new Regex(@"^FROM nvidia/cuda:\$\{CUDA_VERSION\}-(base|runtime)-ubuntu24\.04 AS runtime-cuda$", RegexOptions.Multiline),
            text);
        Assert.Matches(new Regex(@"^FROM mcr\.microsoft\.com/dotnet/sdk:\S+ AS build$", RegexOptions.Multiline), text);
        Assert.Contains("COPY --from=build", text, StringComparison.Ordinal);
        Assert.True(Regex.Matches(text, @"^FROM ", RegexOptions.Multiline).Count >= 4);
    }

    [Fact]
    public void Final_stage_runs_as_a_non_root_user_with_a_health_check()
    {
        var text = Text;
        var finalStage = text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var user = Regex.Match(finalStage, @"^USER\s+(\S+)$", RegexOptions.Multiline);
        Assert.True(user.Success, "final stage has no USER");
        Assert.DoesNotMatch("^(root|0)(:|$)", user.Groups[1].Value);
        Assert.Matches(new Regex(@"^ARG APP_UID=[1-9]\d{3,}$", RegexOptions.Multiline), finalStage);

        Assert.Matches(new Regex(@"^HEALTHCHECK .*\\$", RegexOptions.Multiline), finalStage);
        Assert.Contains("http://127.0.0.1:8080/health", finalStage, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080", finalStage, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"PaddleX.Cloud.Worker.dll\"]", finalStage, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_context_is_trimmed_by_a_dockerignore_at_the_repository_root()
    {
        var ignore = File.ReadAllLines(RepoPaths.Combine(".dockerignore"));
        Assert.Contains("**/bin", ignore);
        Assert.Contains("**/obj", ignore);
        Assert.Contains("**/node_modules", ignore);
        Assert.Contains(".git", ignore);
    }
}
