using System.Text.Json.Nodes;
using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>Compiles infra/bicep/main.bicep once per test run (bicep build takes a few seconds).</summary>
public sealed class BicepFixture : IDisposable
{
    private readonly string _outDir = Directory.CreateTempSubdirectory("paddlex-bicep-").FullName;

    public BicepFixture()
    {
        var outFile = Path.Combine(_outDir, "main.json");
        Build = ToolRunner.Run(Tools.Bicep, ["build", RepoPaths.MainBicep, "--outfile", outFile]);
        if (Build.ExitCode == 0 && File.Exists(outFile))
        {
            CompiledText = File.ReadAllText(outFile);
            Compiled = JsonNode.Parse(CompiledText)!.AsObject();
            Resources = ArmTemplate.Resources(Compiled);
        }
    }

    internal ToolResult Build { get; }

    internal string CompiledText { get; } = string.Empty;

    internal JsonObject Compiled { get; } = [];

    internal IReadOnlyList<ArmResource> Resources { get; } = [];

    internal void EnsureCompiled() =>
        Assert.True(Build.ExitCode == 0 && Resources.Count > 0, "bicep build failed:\n" + Build);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_outDir, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder; the OS cleans it eventually.
        }
    }
}
