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
        Assert.DoesNotContain("ubuntu22", text, StringComparison.Ordinal);
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
        // The health check follows the port the worker really listens on (ASPNETCORE_HTTP_PORTS).
        Assert.Contains("ENV ASPNETCORE_HTTP_PORTS=8080", finalStage, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:${ASPNETCORE_HTTP_PORTS:-8080}/health", finalStage, StringComparison.Ordinal);
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

    [Fact]
    public void The_classic_builder_of_acr_tasks_can_build_it()
    {
        // azd remoteBuild and scripts/build-push-worker.sh build with ACR Tasks (classic builder):
        // no BuildKit-only syntax.
        var text = Text;
        Assert.DoesNotContain("--mount=", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"^#\s*syntax=", RegexOptions.Multiline | RegexOptions.IgnoreCase), text);
        Assert.DoesNotMatch(new Regex(@"^(RUN|COPY)\s.*<<", RegexOptions.Multiline), text);
        Assert.DoesNotContain("--link", text, StringComparison.Ordinal);
        Assert.DoesNotContain("--chmod", text, StringComparison.Ordinal);
        var build = File.ReadAllText(RepoPaths.Combine("scripts", "build-push-worker.sh"));
        Assert.Contains("az acr build", build, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_is_its_own_layer_before_the_sources_are_copied()
    {
        var text = Text.Replace("\\\n", " ", StringComparison.Ordinal);
        var lines = text.Split('\n').Select(l => l.Trim()).ToList();
        var restore = lines.FindIndex(l => l.StartsWith("RUN dotnet restore gpu-worker/PaddleX.Cloud.Worker/PaddleX.Cloud.Worker.csproj", StringComparison.Ordinal));
        var sources = lines.IndexOf("COPY . .");
        var publish = lines.FindIndex(l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
        Assert.True(restore > 0 && sources > restore && publish > sources, "expected: project files, RUN dotnet restore, COPY . ., RUN dotnet publish");
        Assert.Contains("--no-restore", lines[publish], StringComparison.Ordinal);
        Assert.Contains("-p:TorchBackend=${TORCH_BACKEND}", lines[restore], StringComparison.Ordinal);
        Assert.Contains("-r linux-x64", lines[restore], StringComparison.Ordinal);

        // Everything restore reads is copied before it: the central build files and every project of
        // the worker's reference closure (else restore fails, or the layer misses a package).
        var beforeRestore = string.Join('\n', lines.Take(restore));
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "nuget.config" })
        {
            Assert.Contains(file, beforeRestore, StringComparison.Ordinal);
        }

        foreach (var project in ProjectClosure("gpu-worker/PaddleX.Cloud.Worker/PaddleX.Cloud.Worker.csproj"))
        {
            Assert.Matches(new Regex($@"^COPY {Regex.Escape(project)} {Regex.Escape(project[..(project.LastIndexOf('/') + 1)])}$", RegexOptions.Multiline), beforeRestore);
        }

        // The restore layer depends on no source file.
        Assert.DoesNotMatch(new Regex(@"^COPY \.\s", RegexOptions.Multiline), beforeRestore);
    }

    [Fact]
    public void Cuda_base_image_matches_the_cuda_of_libtorch()
    {
        var packages = File.ReadAllText(RepoPaths.Combine("Directory.Packages.props"));
        var libtorch = Regex.Match(packages, @"libtorch-cuda-(\d+)\.(\d+)-linux-x64");
        Assert.True(libtorch.Success, "no libtorch-cuda package version in Directory.Packages.props");
        var cuda = Regex.Match(Text, @"^ARG CUDA_VERSION=(\d+)\.(\d+)\.\d+$", RegexOptions.Multiline);
        Assert.True(cuda.Success);
        Assert.Equal($"{libtorch.Groups[1].Value}.{libtorch.Groups[2].Value}", $"{cuda.Groups[1].Value}.{cuda.Groups[2].Value}");
    }

    /// <summary>Repository-relative paths of a project and every project it references, transitively.</summary>
    private static IReadOnlyList<string> ProjectClosure(string project)
    {
        var result = new List<string>();
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (result.Contains(current))
            {
                continue;
            }

            result.Add(current);
            var folder = Path.GetDirectoryName(RepoPaths.Combine(current.Split('/')))!;
            var xml = System.Xml.Linq.XDocument.Load(RepoPaths.Combine(current.Split('/')));
            foreach (var reference in xml.Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value));
                pending.Push(RepoPaths.Relative(full));
            }
        }

        return result;
    }
}
