using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>The worker image's TORCH_BACKEND build argument becomes the MSBuild property TorchBackend:
/// the same project picks the CPU libtorch here and the CUDA one in the image build.</summary>
public sealed class TorchBackendTests
{
    private static readonly string Worker = RepoPaths.Combine("gpu-worker", "PaddleX.Cloud.Worker", "PaddleX.Cloud.Worker.csproj");
    private static readonly string Vision = RepoPaths.Combine("gpu-worker", "PaddleX.Cloud.Vision", "PaddleX.Cloud.Vision.csproj");

    [Theory]
    [InlineData("cpu", "libtorch-cpu-linux-x64", "libtorch-cuda-12.8-linux-x64")]
    [InlineData("cuda", "libtorch-cuda-12.8-linux-x64", "libtorch-cpu-linux-x64")]
    public void The_backend_property_selects_one_libtorch_package(string backend, string selected, string absent)
    {
        var result = ToolRunner.Run("dotnet", ["msbuild", Vision, "-getItem:PackageReference", $"-p:TorchBackend={backend}", "-nologo"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"\"Identity\": \"{selected}\"", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain($"\"Identity\": \"{absent}\"", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void The_worker_restores_and_builds_with_the_cpu_backend()
    {
        var restore = ToolRunner.Run("dotnet", ["restore", Worker, "-p:TorchBackend=cpu", "-nologo", "-v:q"]);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var build = ToolRunner.Run("dotnet", ["build", Worker, "--no-restore", "-p:TorchBackend=cpu", "-nologo", "-v:q"]);
        Assert.True(build.ExitCode == 0, build.ToString());
        var output = RepoPaths.Combine("gpu-worker", "PaddleX.Cloud.Worker", "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "libtorch_cpu.so")) || Directory.EnumerateFiles(output, "libtorch_cpu.so", SearchOption.AllDirectories).Any(), "the CPU libtorch is not in the worker's output");
    }
}
