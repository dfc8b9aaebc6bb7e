using PaddleX.Cloud.Infra.Tests.Infrastructure;

namespace PaddleX.Cloud.Infra.Tests;

/// <summary>Every shell script in the repository (scripts/*.sh and the rest) passes shellcheck.</summary>
public sealed class ShellScriptTests
{
    public static TheoryData<string> Scripts() =>
        [.. RepoPaths.FilesWithExtension(".sh").Select(RepoPaths.Relative)];

    [Fact]
    public void The_deploy_scripts_are_found()
    {
        var scripts = RepoPaths.FilesWithExtension(".sh").Select(RepoPaths.Relative).ToList();
        foreach (var expected in new[]
        {
            "scripts/deploy-infra.sh", "scripts/publish-functions.sh", "scripts/build-push-worker.sh",
            "scripts/roll-worker.sh", "scripts/smoke-test.sh", "tests/tools/install.sh",
        })
        {
            Assert.Contains(expected, scripts);
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_passes_shellcheck(string relativePath)
    {
        var result = ToolRunner.Run(
            Tools.Shellcheck,
            ["--external-sources", "--format=gcc", RepoPaths.Combine(relativePath)],
            Path.GetDirectoryName(RepoPaths.Combine(relativePath)));
        Assert.True(result.ExitCode == 0 && result.Output.Length == 0, result.ToString());
    }

    [Fact]
    public void Shellcheck_reports_a_known_bad_script()
    {
        var dir = Directory.CreateTempSubdirectory("paddlex-shellcheck-").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.sh");
            File.WriteAllText(bad, "#!/bin/bash\nrm -rf $1/*\n");
            var result = ToolRunner.Run(Tools.Shellcheck, ["--format=gcc", bad], dir);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("SC2086", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
